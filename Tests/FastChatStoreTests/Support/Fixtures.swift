import FastChatStore
import Foundation
import Logging

enum Fixtures {
    static let logger = Logger(label: "FastChatStoreTests")

    /// Millisecond-aligned, because that is the precision stores keep.
    static let createdAt = Date(timeIntervalSince1970: 1_700_000_000.123)

    /// An account with a login key; `legacy`: one made before login keys, holding a hash of its auth key.
    static func user(_ username: String, legacy: Bool = false) -> UserRecord {
        UserRecord(
            username: username,
            verifier: legacy ? .legacyHash("scrypt$10$8$1$c2FsdA==$aGFzaA==") : .loginKey(bytes(32)),
            kdfLog2N: 15,
            kdfR: 8,
            kdfP: 1,
            signingKey: bytes(32),
            agreementKey: bytes(32),
            keyBackup: bytes(120),
            createdAt: createdAt)
    }

    static func group(_ name: String, by creator: String, legacy: Bool = false) -> GroupRecord {
        GroupRecord(
            name: name,
            verifier: legacy ? .legacyHash("scrypt$10$8$1$Z3JvdXA=$aGFzaA==") : .loginKey(bytes(32)),
            kdfLog2N: 15,
            kdfR: 8,
            kdfP: 1,
            createdBy: creator,
            createdAt: createdAt)
    }

    /// A node registered (and last heard from) at `at`.
    static func node(_ name: String, port: Int, connections: Int = 0, at: Date = createdAt) -> NodeRecord {
        NodeRecord(
            name: name,
            address: "127.0.0.1:\(port)",
            pid: 10_000 + port,
            connections: connections,
            startedAt: at,
            heartbeatAt: at)
    }

    static func message(
        from sender: String,
        to recipients: [String],
        id: UUID = UUID(),
        envelope: Data = bytes(64)
    ) -> IncomingMessage {
        IncomingMessage(sender: sender, messageID: id, recipients: recipients, envelope: envelope)
    }

    static func bytes(_ count: Int) -> Data {
        Data((0..<count).map { _ in UInt8.random(in: 0...255) })
    }
}

extension AcceptOutcome {
    var entries: [MailboxEntry] {
        if case .stored(let entries) = self { entries } else { [] }
    }
}
