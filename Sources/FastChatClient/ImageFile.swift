import FastChatProtocol
import Foundation

/// The images FastChat sends: PNG, JPEG, GIF and WebP, recognised by their first bytes (never by the file name), and
/// loaded only after the file is known to be a readable regular file within the size limit.
public enum ImageFile {
    public enum Format: String, Sendable, CaseIterable {
        case png, jpeg, gif, webp

        /// The IANA media type, e.g. "image/png".
        public var mediaType: String { "image/\(rawValue)" }

        /// The extension a saved file gets: "png", "jpg", "gif" or "webp".
        public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

        /// Every extension (lowercase, without the dot) that names this format.
        public var fileExtensions: [String] { self == .jpeg ? ["jpg", "jpeg"] : [rawValue] }
    }

    /// The formats in words, for messages: "PNG, JPEG, GIF or WebP".
    static let supportedFormats = "PNG, JPEG, GIF or WebP"

    /// The format named by the magic bytes at the start of `data`, or nil when it is none of the supported ones.
    public static func detectFormat(_ data: Data) -> Format? {
        let head = [UInt8](data.prefix(12))
        func starts(with prefix: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + prefix.count && Array(head[offset..<offset + prefix.count]) == prefix
        }
        if starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(with: Array("GIF87a".utf8)) || starts(with: Array("GIF89a".utf8)) { return .gif }
        if starts(with: Array("RIFF".utf8)) && starts(with: Array("WEBP".utf8), at: 8) { return .webp }
        return nil
    }

    /// Reads the image at `path`. Before reading any of it, checks that it exists, is not a directory, is a regular
    /// file (following symbolic links), is readable and is at most `maxBytes` long; then reads at most `maxBytes`
    /// (a file that grew meanwhile is still over the limit) and detects the format. Every failure is
    /// `ProtocolError(.badImage, …)` with one sentence that names the file.
    public static func load(path: String, maxBytes: Int) throws -> (data: Data, format: Format) {
        let fileManager = FileManager.default
        let quoted = "\"\(path)\""
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ProtocolError(.badImage, "The file \(quoted) does not exist.")
        }
        guard !isDirectory.boolValue else {
            throw ProtocolError(.badImage, "The path \(quoted) is a directory, not an image file.")
        }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        let attributes = (try? fileManager.attributesOfItem(atPath: resolved.path)) ?? [:]
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw ProtocolError(.badImage, "The path \(quoted) is not a regular file.")
        }
        guard fileManager.isReadableFile(atPath: path) else {
            throw ProtocolError(.badImage, "The file \(quoted) is not readable.")
        }
        if let size = byteCount(attributes[.size]), size > UInt64(max(maxBytes, 0)) {
            throw tooLarge(quoted, size: size, maxBytes: maxBytes)
        }

        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: resolved)
            defer { try? handle.close() }
            let (limit, overflow) = max(maxBytes, 0).addingReportingOverflow(1)
            data = try handle.read(upToCount: overflow ? Int.max : limit) ?? Data()
        } catch {
            throw ProtocolError(.badImage, "The file \(quoted) is not readable.")
        }
        guard data.count <= maxBytes else {
            throw tooLarge(quoted, size: nil, maxBytes: maxBytes)
        }
        guard let format = detectFormat(data) else {
            throw ProtocolError(
                .badImage, "The file \(quoted) is not a supported image (only \(supportedFormats) are accepted).")
        }
        return (data, format)
    }

    private static func byteCount(_ value: Any?) -> UInt64? {
        switch value {
        case let number as UInt64: return number
        case let number as Int: return UInt64(clamping: number)
        case let number as NSNumber: return number.uint64Value
        default: return nil
        }
    }

    private static func tooLarge(_ quoted: String, size: UInt64?, maxBytes: Int) -> ProtocolError {
        let limit = mebibytes(UInt64(max(maxBytes, 0)))
        var actual = ""
        if let size {
            let rounded = mebibytes(size)
            actual = rounded == limit ? " (\(size) bytes)" : " (\(rounded) MiB)"
        }
        return ProtocolError(.badImage, "The file \(quoted) is over the \(limit) MiB limit for images\(actual).")
    }

    /// "25" for a whole number of MiB, otherwise up to two decimals ("0.5", "30.25"), or six below 0.01 MiB.
    static func mebibytes(_ bytes: UInt64) -> String {
        if bytes % 1_048_576 == 0 { return String(bytes / 1_048_576) }
        let mib = Double(bytes) / 1_048_576
        return String(format: mib < 0.01 ? "%.6f" : "%.2f", mib).trimmingZeros
    }
}

extension String {
    /// "30.50" → "30.5", "2.00" → "2".
    fileprivate var trimmingZeros: String {
        guard contains(".") else { return self }
        var text = self
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
