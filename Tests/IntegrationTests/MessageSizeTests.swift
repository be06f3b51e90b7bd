@testable import FastChatClient
import FastChatProtocol
@testable import FastChatServer
import Foundation
import Testing

/// What a node accepts always fits every frame it builds from it, and the client accepts what the node sends.
extension ClusterTests {
    @Test(arguments: Backend.all)
    func theLargestMessageGoesThroughOneToOneToAGroupAndAcrossNodes(_ backend: Backend) async throws {
        try await withTwoNodes(on: backend) { n1, n2 in
            let alice = try await n1.user("alice")
            let bob = try await n1.user("bob")
            let carol = try await n2.user("carol")
            try await alice.createGroup("team", password: "team pw")
            for member in [bob, carol] {
                try await member.joinGroup("team", password: "team pw")
            }
            for member in [alice, bob, carol] { _ = try await member.pendingMessages() }
            let largest = String(repeating: "x", count: await alice.maxTextBytes)

            let toBob = try await alice.send(largest, to: "bob")
            let toCarol = try await alice.send(largest, to: "carol")
            let toTeam = try await alice.send(largest, toGroup: "team")
            #expect(try await bob.nextMessage().id == toBob)
            #expect(try await bob.nextMessage().id == toTeam)
            #expect(try await carol.nextMessage().id == toCarol)
            #expect(try await carol.nextMessage().id == toTeam)

            // Several at once to the other node: committed together, forwarded in frames that fit.
            async let first = alice.send(largest, to: "carol")
            async let second = alice.send(largest, to: "carol")
            async let third = alice.send(largest, to: "carol")
            let sent = try await Set([first, second, third])
            var received: Set<UUID> = []
            for _ in 0..<3 { received.insert(try await carol.nextMessage().id) }
            #expect(received == sent)

            // And the inboxes still work.
            let after = try await alice.send("after the large ones", to: "bob")
            #expect(try await bob.nextMessage().id == after)
        }
    }

    /// A client that ignores its own limit gets a typed refusal; nothing is stored and the recipient's inbox works.
    @Test func aSendTheNodeCouldNotDeliverWholeIsRefused() async throws {
        try await withNode { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            #expect(try await bob.pendingMessages().isEmpty)
            var envelope = Envelope()
            envelope.sender = "alice"
            envelope.recipient = "bob"
            envelope.messageID = UUID().bytes
            // The Send frame is exactly as large as the node accepts.
            envelope.ciphertext = Data(count: Wire.defaultMaxFrameBytes - 40)
            let frameSize = try (Frame(requestID: 99, .send(.with { $0.envelope = envelope })).serializedBytes() as [UInt8]).count
            envelope.ciphertext = Data(count: Wire.defaultMaxFrameBytes - 40 + (Wire.defaultMaxFrameBytes - frameSize))
            let error = await #expect(throws: ProtocolError.self) {
                _ = try await alice.request(.send(.with { $0.envelope = envelope }))
            }
            #expect(error?.code == .frameTooLarge, "\(String(describing: error))")

            let id = try await alice.send("small", to: "bob")
            #expect(try await bob.nextMessage().id == id)
        }
    }

    @Test func aForwardLargerThanAFrameIsSplitInOrder() {
        var forward = Fastchat_V1_Forward()
        forward.resync = ["carol"]
        for index in 0..<7 {
            forward.entries.append(
                .with {
                    $0.recipient = "carol"
                    $0.sender = "alice"
                    $0.seq = UInt64(index + 1)
                    $0.messageID = UUID().bytes
                    $0.item = Data(count: 400_000)
                })
        }
        forward.receipts = (0..<3).map { _ in .with { $0.to = "alice"; $0.receipt.messageID = UUID().bytes } }
        let parts = forward.split(maxBytes: Wire.defaultMaxFrameBytes)
        #expect(parts.count == 4)
        for part in parts {
            let size = (try? Frame(.forward(part)).serializedBytes() as [UInt8])?.count ?? .max
            #expect(size <= Wire.defaultMaxFrameBytes)
        }
        #expect(parts.flatMap(\.entries) == forward.entries)
        #expect(parts.flatMap(\.receipts) == forward.receipts)
        #expect(parts.first?.resync == ["carol"] && parts.dropFirst().allSatisfy(\.resync.isEmpty))
    }

    /// A member's row followed by the shared body parses as the copy the node used to store whole (that member's
    /// key only), and the size checked against the frame limit is that of the largest such copy.
    @Test func aGroupMembersPartAndTheSharedBodyMakeTheirWholeCopy() throws {
        var envelope = Envelope()
        envelope.version = 1
        envelope.sender = "alice"
        envelope.group = "team"
        envelope.messageID = UUID().bytes
        envelope.ciphertext = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0) })
        envelope.signature = Data(repeating: 7, count: 64)
        envelope.blobIds = [UUID().bytes]
        envelope.keys = ["bob", "carol", "dave"].enumerated().map { index, member in
            .with {
                $0.recipient = member
                $0.encapsulatedKey = Data(repeating: 1, count: 32)
                $0.ciphertext = Data(repeating: 2, count: 48 + 100 * index)
            }
        }
        let items = try GroupMailboxItems(envelope, keys: envelope.keys.map { ($0.recipient, $0) })
        var wholeSizes: [Int] = []
        for (copy, key) in zip(items.copies, envelope.keys) {
            var whole = envelope
            whole.keys = [key]
            #expect(copy.recipient == key.recipient)
            #expect(copy.envelope.count < envelope.ciphertext.count / 5, "no ciphertext in a member's row")
            let parsed = try Fastchat_V1_MailboxItem(serializedBytes: copy.envelope + items.body)
            #expect(parsed.envelope == whole)
            wholeSizes.append(try whole.mailboxItem().count)
        }
        #expect(items.largestItem == wholeSizes.max())
    }
}
