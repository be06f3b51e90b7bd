@testable import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation
import GRDB
import Testing

@Suite(.timeLimit(.minutes(10))) struct ImageTests {
    /// A PNG signature followed by random bytes and a marker that must never appear in the store.
    private func makeImage(in node: NodeHarness, name: String = "photo.png", megabytes: Double = 3) throws -> (path: String, data: Data, marker: String) {
        let marker = "image-marker-\(UUID().uuidString)"
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        data.append(Data((0..<Int(megabytes * 1_048_576)).map { _ in UInt8.random(in: 0...255) }))
        data.append(Data(marker.utf8))
        let url = node.directory.appendingPathComponent(name)
        try data.write(to: url)
        return (url.path, data, marker)
    }

    /// The raw SQLite file's bytes (empty on PostgreSQL, whose files are the server's: the plaintext check on a raw
    /// database is SQLite's).
    private func storeBytes(_ node: NodeHarness) -> Data {
        var bytes = Data()
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: node.databasePath + suffix) { bytes.append(data) }
        }
        return bytes
    }

    /// A sender controls the sealed image reference: a size beyond `Int` (which used to trap the recipient's client
    /// on every receive) makes the message rejected, and the client goes on.
    @Test func imageSizeBeyondIntIsRejectedNotTrapped() async throws {
        try await withNode { node in
            let mallory = try await node.user("mallory")
            let bob = try await node.user("bob", password: "pw")
            #expect(try await bob.pendingMessages().isEmpty)
            // A real uploaded chunk, so the download gets as far as the size.
            let (blobID, sealed) = try await mallory.uploadPNGSignature()
            var content = try await mallory.content(text: "", id: UUID())
            content.image = .with {
                $0.blobID = blobID; $0.key = sealed.key; $0.size = .max; $0.sha256 = sealed.sha256
                $0.chunkCount = 1; $0.fileName = "huge.png"
            }
            _ = try await mallory.send(content, to: "bob", blobIDs: [blobID])
            let outcome = try await bob.next { event -> String? in
                switch event {
                case .message: "shown"
                case .rejected(let from, _): "rejected from \(from)"
                default: nil
                }
            }
            #expect(outcome == "rejected from mallory")
            let id = try await mallory.send("still fine?", to: "bob")
            #expect(try await bob.nextMessage().id == id)
        }
    }

    @Test(arguments: Backend.all)
    func oneToOneRoundTripIsByteIdenticalAndTheBlobGoesAway(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            try await node.client(home: "bob").signUp(username: "bob", password: "pw")
            let image = try makeImage(in: node)
            try await alice.sendImage(at: image.path, caption: "holiday", to: "bob")
            #expect(storeBytes(node).range(of: Data(image.marker.utf8)) == nil, "no plaintext image bytes in the store")
            #expect(try await node.blobCount() == 1)

            // Bob was offline when it was sent.
            let bob = node.client(home: "bob")
            try await bob.signIn(username: "bob", password: "pw")
            let received = try await bob.pendingMessages()
            #expect(received.map(\.text) == ["holiday"])
            let path = try #require(received.first?.image)
            #expect(path.hasSuffix("/bob/downloads/photo.png"))
            #expect(FileManager.default.contents(atPath: path) == image.data)
            #expect(try await node.blobCount() == 0, "deleted once every recipient acknowledged it")
        }
    }

    @Test(arguments: Backend.all)
    func groupImageReachesEveryMember(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            let carol = try await node.user("carol")
            try await alice.createGroup("team", password: "g")
            try await bob.joinGroup("team", password: "g")
            try await carol.joinGroup("team", password: "g")
            let image = try makeImage(in: node, megabytes: 1.5)
            try await alice.sendImage(at: image.path, toGroup: "team")
            for member in [bob, carol] {
                let message = try await member.nextMessage()
                #expect(message.group == "team")
                #expect(FileManager.default.contents(atPath: try #require(message.image)) == image.data)
            }
            #expect(try await node.blobCount() == 0)
        }
    }

    @Test(arguments: Backend.all)
    func hostileFileNameIsSanitisedAndNothingIsOverwritten(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            let image = try makeImage(in: node, name: "..hidden evil.png", megabytes: 0.01)
            try await alice.sendImage(at: image.path, to: "bob")
            try await alice.sendImage(at: image.path, to: "bob")
            let first = try #require(try await bob.nextMessage().image)
            let second = try #require(try await bob.nextMessage().image)
            let downloads = node.directory.appendingPathComponent("homes/bob/bob/downloads").path
            #expect(first.hasPrefix(downloads) && second.hasPrefix(downloads))
            #expect(first != second, "a name that exists gets a suffix")
            for path in [first, second] {
                let name = URL(fileURLWithPath: path).lastPathComponent
                #expect(!name.hasPrefix(".") && !name.contains(".."), "\(name)")
            }
        }
    }

    @Test(arguments: Backend.all)
    func badFilesFailWithCode30BeforeAnyUpload(_ backend: Backend) async throws {
        try await withNode(on: backend, configure: { $0.maxImageBytes = 1 << 20 }) { node in
            let alice = try await node.user("alice")
            _ = try await node.user("bob")
            let text = node.directory.appendingPathComponent("notes.png")
            try Data("just text".utf8).write(to: text)
            let big = try makeImage(in: node, name: "big.png", megabytes: 2)
            for path in [text.path, big.path, node.directory.appendingPathComponent("missing.png").path, node.directory.path] {
                #expect(try await code { try await alice.sendImage(at: path, to: "bob") } == .badImage, "\(path)")
            }
            #expect(try await node.blobCount() == 0, "nothing was uploaded")
        }
    }

    @Test(arguments: Backend.all)
    func tamperedChunkIsRejected(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            try await node.client(home: "bob").signUp(username: "bob", password: "pw")
            let image = try makeImage(in: node, megabytes: 0.3)
            try await alice.sendImage(at: image.path, to: "bob")
            try await tamperWithSecondChunk(node)
            let bob = node.client(home: "bob")
            try await bob.signIn(username: "bob", password: "pw")
            let rejected = try await bob.next { event -> String? in
                if case .rejected(let from, _) = event { return from }
                return nil
            }
            #expect(rejected == "alice")
            let downloads = node.directory.appendingPathComponent("homes/bob/bob/downloads").path
            #expect((try? FileManager.default.contentsOfDirectory(atPath: downloads)) ?? [] == [])
        }
    }
}


/// Changes the stored ciphertext of chunk 1, as someone with write access to the database could.
private func tamperWithSecondChunk(_ node: NodeHarness) async throws {
    switch node.database {
    case .sqlite(let path):
        let pool = try DatabasePool(path: path)
        defer { try? pool.close() }
        try await pool.write { db in
            try db.execute(sql: "UPDATE blob_chunks SET data = randomblob(length(data)) WHERE idx = 1")
        }
    case .postgres(let database):
        try await database.execute("UPDATE blob_chunks SET data = set_byte(data, 0, 255 - get_byte(data, 0)) WHERE idx = 1")
    }
}
