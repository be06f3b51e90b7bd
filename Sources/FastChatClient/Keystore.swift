import FastChatCrypto
import Foundation

/// A user's files on this machine, under `<home>/<user>/`: the private identity (mode 0600), the peers' pinned
/// public keys, and the ids of messages already shown (so a message delivered twice is shown once).
struct Keystore {
    let directory: URL
    private var pins: [String: PublicIdentity]
    private var seen: Set<UUID>
    private var seenOrder: [UUID]
    private static let seenLimit = 20_000

    init(home: URL, username: String) throws {
        directory = home.appendingPathComponent(username, isDirectory: true)
        try FileManager.default.createDirectory(
            at: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        pins = [:]
        if let data = try? Data(contentsOf: directory.appendingPathComponent("peers.json")) {
            pins = try JSONDecoder().decode([String: PublicIdentity].self, from: data)
        }
        seenOrder = []
        if let text = try? String(contentsOf: directory.appendingPathComponent("seen.log"), encoding: .utf8) {
            seenOrder = text.split(separator: "\n").compactMap { UUID(uuidString: String($0)) }
        }
        seen = Set(seenOrder)
    }

    private var identityURL: URL { directory.appendingPathComponent("identity.key") }

    func loadIdentity() throws -> Identity? {
        guard let data = try? Data(contentsOf: identityURL) else { return nil }
        return try Identity(rawRepresentation: data)
    }

    func save(_ identity: Identity) throws {
        try identity.rawRepresentation.write(to: identityURL, options: [.atomic])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: identityURL.path)
    }

    func pin(for peer: String) -> PublicIdentity? {
        pins[peer]
    }

    mutating func setPin(_ key: PublicIdentity, for peer: String) throws {
        pins[peer] = key
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(pins).write(to: directory.appendingPathComponent("peers.json"), options: [.atomic])
    }

    func hasSeen(_ id: UUID) -> Bool {
        seen.contains(id)
    }

    /// Records a message as shown before it is acknowledged: if the process dies in between, the re-delivered copy
    /// is recognised and dropped.
    mutating func markSeen(_ id: UUID) throws {
        guard seen.insert(id).inserted else { return }
        seenOrder.append(id)
        let url = directory.appendingPathComponent("seen.log")
        if seenOrder.count > Self.seenLimit {
            seenOrder.removeFirst(seenOrder.count - Self.seenLimit / 2)
            seen = Set(seenOrder)
            let text = seenOrder.map(\.uuidString).joined(separator: "\n") + "\n"
            try Data(text.utf8).write(to: url, options: [.atomic])
            return
        }
        let line = Data((id.uuidString + "\n").utf8)
        if let handle = try? FileHandle(forWritingTo: url) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
            try handle.synchronize()
        } else {
            try line.write(to: url, options: [.atomic])
        }
    }
}
