import Foundation

/// `<home>/known_servers`: for each address a client first trusted on first use, the SHA-256 fingerprint of the
/// cluster CA it presented, one `ADDRESS FINGERPRINT` line each, as ssh keeps host keys.
public struct KnownServers: Sendable {
    public let file: URL

    public init(file: URL) {
        self.file = file
    }

    public func fingerprint(for address: String) -> String? {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 2, fields[0] == address { return String(fields[1]) }
        }
        return nil
    }

    /// Appends the pin (an append is atomic for a line this short, so clients started together do not tear it).
    public func pin(_ fingerprint: String, for address: String) throws {
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(file.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw TLSSetupError("Cannot write \(file.path): \(String(cString: strerror(errno))).") }
        defer { close(fd) }
        let line = Array("\(address) \(fingerprint)\n".utf8)
        guard write(fd, line, line.count) == line.count else { throw TLSSetupError("Cannot write \(file.path).") }
    }
}
