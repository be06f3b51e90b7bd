@testable import FastChatClient
import FastChatCrypto
import Foundation
import Testing

/// A user's files on this machine, read back by a fresh keystore as a new process would.
@Suite struct KeystoreTests {
    @Test func identityPinsAndSeenMessagesSurviveAReopen() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("fastchat-keystore-\(UUID())")
        defer { try? FileManager.default.removeItem(at: home) }
        let identity = Identity.generate()
        let bobKey = Identity.generate().publicIdentity
        let (seen, unseen) = (UUID(), UUID())

        var keystore = try Keystore(home: home, username: "alice")
        #expect(try keystore.loadIdentity() == nil)
        try keystore.save(identity)
        try keystore.setPin(bobKey, for: "bob")
        try keystore.markSeen(seen)
        try keystore.markSeen(seen)

        let reopened = try Keystore(home: home, username: "alice")
        #expect(try reopened.loadIdentity()?.publicIdentity == identity.publicIdentity)
        #expect(reopened.pin(for: "bob") == bobKey)
        #expect(reopened.pin(for: "carol") == nil)
        #expect(reopened.hasSeen(seen) && !reopened.hasSeen(unseen))

        let path = reopened.directory.appendingPathComponent("identity.key").path
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let seenLog = try String(contentsOf: reopened.directory.appendingPathComponent("seen.log"), encoding: .utf8)
        #expect(seenLog == seen.uuidString + "\n", "a message seen twice is recorded once")
    }
}
