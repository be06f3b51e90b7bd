@testable import FastChatClient
import FastChatCrypto
import FastChatProtocol
import FastChatStore
import Foundation
import Testing

/// A ✓'d image is never lost (issue 12, item 6): the node keeps a blob until the last mailbox entry referring to it
/// is acknowledged, whoever fetches it meanwhile; only its uploader and those entries' recipients may fetch it; and a
/// retried send keeps it referenced.
@Suite(.timeLimit(.minutes(10))) struct ImageKeepingTests {
    @Test(arguments: Backend.all)
    func fetchingKeepsTheBlobUntilTheLastRecipientAcknowledges(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            try await alice.createGroup("team", password: "g")
            let (bob, carol) = (try await node.user("bob"), try await node.user("carol"))
            for member in [bob, carol] { try await member.joinGroup("team", password: "g") }
            try await alice.sendImage(at: try pngFile(in: node), caption: "both", toGroup: "team")

            // Bob's client fetched the whole image to show it; he has not acknowledged it yet.
            let bobs = try await bob.next { event -> ReceivedMessage? in
                if case .message(let message) = event { return message }
                return nil
            }
            #expect(bobs.image != nil)
            _ = try await carol.nextMessage()
            #expect(try await node.blobCount() == 1, "fetched by both, acknowledged by carol only: kept for bob")
            try await bob.acknowledge(bobs)
            #expect(try await node.blobCount() == 0, "deleted with the last acknowledgement")
        }
    }

    @Test(arguments: Backend.all)
    func aStrangerCannotFetchTheBlobButItsRecipientCan(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            let mallory = try await node.user("mallory")
            let blobID = try await alice.uploadPNGSignature().blobID
            _ = try await alice.send(try await alice.content(text: "for bob", id: UUID()), to: "bob", blobIDs: [blobID])

            let missing = try await fetchError(mallory, UUID().bytes)
            #expect(missing?.code == .badImage)
            #expect(try await fetchError(mallory, blobID) == missing, "the same answer as for an id that never existed")
            #expect(try await fetchError(bob, blobID) == nil, "the recipient fetches it")
            #expect(try await fetchError(alice, blobID) == nil, "and so does its uploader")
            #expect(try await node.blobCount() == 1, "no fetch deleted it")
        }
    }

    @Test(arguments: Backend.all)
    func aMessageNamingAnImageNotOnTheServerGetsNoCheckmark(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            let content = try await alice.content(text: "where is it?", id: UUID())
            let error = await #expect(throws: ProtocolError.self) {
                _ = try await alice.send(content, to: "bob", blobIDs: [UUID().bytes])
            }
            #expect(error?.code == .badImage)
            #expect(try await bob.firstArrivalAfterANoteToSelf() == "own note", "nothing was stored for bob")
        }
    }

    /// The original was accepted without its blob reference, as a node that crashed between accepting and
    /// referencing (or a release before references were written with the message) left it: the retried send, a
    /// duplicate, references it, so the unreferenced-upload sweep leaves it alone.
    @Test(arguments: Backend.all)
    func aRetriedImageSendKeepsTheBlobReferenced(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            let blobID = try await alice.uploadPNGSignature().blobID
            let content = try await alice.content(text: "retried", id: UUID())
            let messageID = try #require(UUID(bytes: content.messageID))
            let original = try await node.store.accept([
                IncomingMessage(sender: "alice", messageID: messageID, recipients: ["bob"], envelope: Data([1])),
            ])
            #expect(original.count == 1 && original.first != .duplicate)

            _ = try await alice.send(content, to: "bob", blobIDs: [blobID])
            let blobs = try #require(node.store as? any BlobStore)
            #expect(try await blobs.deleteUnreferencedBlobs(createdBefore: Date().addingTimeInterval(3600)) == 0)
            #expect(try await node.blobCount() == 1)
            #expect(try await fetchError(bob, blobID) == nil, "bob, the recipient, may fetch it")
        }
    }

    private func pngFile(in node: NodeHarness) throws -> String {
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        data.append(Data((0..<100_000).map { _ in UInt8.random(in: 0...255) }))
        let url = node.directory.appendingPathComponent("photo-\(UUID().uuidString.prefix(8)).png")
        try data.write(to: url)
        return url.path
    }

    /// The error fetching chunk 0 of `blobID` as `client` gets; nil if it got the chunk.
    private func fetchError(_ client: ChatClient, _ blobID: Data) async throws -> ProtocolError? {
        do {
            guard case .blobChunk(let chunk) = try await client.request(.fetchBlob(.with { $0.blobID = blobID })) else {
                return ProtocolError(.internal, "an answer other than a chunk")
            }
            #expect(!chunk.chunk.isEmpty)
            return nil
        } catch let error as ProtocolError {
            return error
        }
    }
}

extension ChatClient {
    /// A PNG signature, sealed and uploaded as a one-chunk blob: a real upload, as small as one gets.
    func uploadPNGSignature() async throws -> (blobID: Data, sealed: SealedAttachment) {
        let sealed = try AttachmentCrypto.seal(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let blobID = UUID().bytes
        _ = try await request(
            .uploadBlob(.with {
                $0.blobID = blobID; $0.index = 0; $0.chunk = sealed.chunks[0]; $0.last = true
                $0.size = UInt64(sealed.size)
            }))
        return (blobID, sealed)
    }
}
