import FastChatClient
import FastChatProtocol
import Foundation
import Testing

/// Protocol version 2 changes only how mailbox entries are pushed, version 3 only that an `Ack` under request id 0
/// is not answered when it succeeds, version 4 only how receipts are pushed, version 5 only how sends are answered; a
/// connection of an older version (older clients, scripts) is served exactly as before.
@Suite(.timeLimit(.minutes(10))) struct ProtocolVersionTests {
    @Test func eachSupportedVersionIsAnsweredInKindAndOthersAreRefused() async throws {
        try await withNode { node in
            for version in Wire.supportedVersions {
                let result = try await RawConnection.open(node.endpoint, tls: node.clientTLS)
                    .exchange([try framed(hello(version: version))], stopAfter: 1)
                guard case .helloReply(let reply) = result.frames.first?.body else {
                    Issue.record("Hello in version \(version) was answered with \(result.frames)")
                    continue
                }
                #expect(reply.protocolVersion == version)
            }
            for version: UInt32 in [0, Wire.protocolVersion + 1] {
                let result = try await RawConnection.open(node.endpoint, tls: node.clientTLS)
                    .exchange([try framed(hello(version: version))])
                #expect(result.closed)
                #expect(result.frames.map(errorCode) == [.unsupportedVersion])
            }
        }
    }

    @Test(arguments: Backend.all)
    func aVersion1ConnectionGetsOneDeliverPerEntry(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let ids = try await messagesWaiting(for: "carol", on: node)
            let (connection, reply) = try await FrameConnection.open(
                to: node.endpoint, tls: node.clientTLS, protocolVersion: 1, answerTimeout: patience)
            #expect(reply.protocolVersion == 1)
            try await connection.signIn("carol", password: "pw")
            let pushes = try await pushesUntilSynced(on: connection)
            await connection.close()

            let delivers = pushes.compactMap { push -> Fastchat_V1_Deliver? in
                if case .deliver(let deliver) = push { return deliver }
                return nil
            }
            #expect(delivers.count == pushes.count)
            #expect(delivers.map(\.envelope.messageID) == ids.map(\.bytes))
            #expect(delivers.map(\.seq) == delivers.map(\.seq).sorted())
        }
    }

    /// The entries pending at sign-in come in one `Deliveries` frame, each item as the node stored it.
    @Test(arguments: Backend.all)
    func aVersion2ConnectionGetsTheEntriesTogetherAsStored(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let ids = try await messagesWaiting(for: "carol", on: node)
            let (connection, reply) = try await FrameConnection.open(
                to: node.endpoint, tls: node.clientTLS, protocolVersion: 2, answerTimeout: patience)
            #expect(reply.protocolVersion == 2)
            try await connection.signIn("carol", password: "pw")
            let pushes = try await pushesUntilSynced(on: connection)
            await connection.close()

            try #require(pushes.count == 1)
            guard case .deliveries(let deliveries) = pushes[0] else {
                Issue.record("The replay pushed \(pushes[0])")
                return
            }
            let items = try deliveries.entries.map { try Fastchat_V1_MailboxItem(serializedBytes: $0.item) }
            #expect(items.map(\.envelope.messageID) == ids.map(\.bytes))
            #expect(deliveries.entries.map(\.seq) == deliveries.entries.map(\.seq).sorted())
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            #expect(deliveries.entries.allSatisfy { $0.storedAtMs > now - 600_000 && $0.storedAtMs <= now })
        }
    }

    /// An `Ack` under request id 0 deletes the entries in every version; from version 3 it is not answered. The
    /// answered empty `Ack` after it is answered only once the quiet one is done.
    @Test(arguments: [2, 3] as [UInt32])
    func aQuietAckDeletesTheEntriesAndIsAnsweredOnlyBeforeVersion3(_ version: UInt32) async throws {
        try await withNode { node in
            let ids = try await messagesWaiting(for: "carol", on: node)
            let (connection, reply) = try await FrameConnection.open(
                to: node.endpoint, tls: node.clientTLS, protocolVersion: version, answerTimeout: patience)
            #expect(reply.protocolVersion == version)
            try await connection.signIn("carol", password: "pw")
            let seqs = seqs(of: try await pushesUntilSynced(on: connection))
            #expect(seqs.count == ids.count)
            await connection.notify(.ack(.with { $0.seqs = seqs }))
            #expect(try await connection.request(.ack(.init())) == .ok(.init()))
            await connection.close()
            var after: [Frame.OneOf_Body] = []
            for await push in connection.pushes { after.append(push) }
            #expect(after == (version >= Wire.quietAcksVersion ? [] : [.ok(.init())]))

            let (again, _) = try await FrameConnection.open(to: node.endpoint, tls: node.clientTLS, answerTimeout: patience)
            try await again.signIn("carol", password: "pw")
            #expect(try await pushesUntilSynced(on: again).isEmpty)
            await again.close()
        }
    }

    /// The receipts one acknowledgement brings its sender: from version 4 in one `Receipts` frame.
    @Test(arguments: [3, 4] as [UInt32])
    func oneAcknowledgementsReceiptsComeTogetherFromVersion4(_ version: UInt32) async throws {
        try await withNode { node in
            let ids = try await messagesWaiting(for: "carol", on: node)
            let (bob, reply) = try await FrameConnection.open(
                to: node.endpoint, tls: node.clientTLS, protocolVersion: version, answerTimeout: patience)
            #expect(reply.protocolVersion == version)
            try await bob.signIn("bob", password: "correct horse")
            #expect(try await pushesUntilSynced(on: bob).isEmpty)
            let (carol, _) = try await FrameConnection.open(to: node.endpoint, tls: node.clientTLS, answerTimeout: patience)
            try await carol.signIn("carol", password: "pw")
            let seqs = seqs(of: try await pushesUntilSynced(on: carol))
            #expect(try await carol.request(.ack(.with { $0.seqs = seqs })) == .ok(.init()))

            let pushes = try await within(patience, "bob gets a receipt for each message") {
                var pushes: [Frame.OneOf_Body] = []
                var receipts: [Fastchat_V1_Receipt] = []
                for await push in bob.pushes {
                    pushes.append(push)
                    switch push {
                    case .receipt(let receipt): receipts.append(receipt)
                    case .receipts(let batch): receipts.append(contentsOf: batch.receipts)
                    default: break
                    }
                    if receipts.count >= ids.count {
                        #expect(receipts.map(\.messageID) == ids.map(\.bytes))
                        #expect(receipts.allSatisfy { $0.recipient == "carol" })
                        return pushes
                    }
                }
                throw Disconnected(reason: "bob's connection closed before the receipts")
            }
            #expect(pushes.count == (version >= Wire.receiptBatchesVersion ? 1 : ids.count))
            await carol.close()
            await bob.close()
        }
    }

    /// Sends in flight together on one connection are each answered with their own id (from version 5 through
    /// `AcceptedSends` pushes, which the connection pairs with its requests), and each is stored once.
    @Test(arguments: [4, 5] as [UInt32])
    func sendsInFlightTogetherAreEachAccepted(_ version: UInt32) async throws {
        try await withNode { node in
            try await node.client(home: "carol").signUp(username: "carol", password: "pw")
            try await node.user("bob").signOut()
            let (bob, reply) = try await FrameConnection.open(
                to: node.endpoint, tls: node.clientTLS, protocolVersion: version, answerTimeout: patience)
            #expect(reply.protocolVersion == version)
            try await bob.signIn("bob", password: "correct horse")
            #expect(try await pushesUntilSynced(on: bob).isEmpty)
            let ids = (0..<20).map { _ in UUID() }

            let answers = try await withThrowingTaskGroup(of: (UUID, Frame.OneOf_Body).self) { group in
                for id in ids {
                    group.addTask {
                        let envelope = Envelope.with {
                            $0.version = 1
                            $0.messageID = id.bytes
                            $0.sender = "bob"
                            $0.recipient = "carol"
                            $0.ciphertext = Data("sealed".utf8)
                        }
                        return (id, try await bob.request(.send(.with { $0.envelope = envelope })))
                    }
                }
                return try await group.reduce(into: [UUID: Frame.OneOf_Body]()) { $0[$1.0] = $1.1 }
            }

            #expect(answers.count == ids.count)
            for id in ids { #expect(answers[id] == .accepted(.with { $0.messageID = id.bytes })) }
            await bob.close()
            let (carol, _) = try await FrameConnection.open(to: node.endpoint, tls: node.clientTLS, answerTimeout: patience)
            try await carol.signIn("carol", password: "pw")
            let delivered = try await pushesUntilSynced(on: carol).flatMap { push -> [Data] in
                guard case .deliveries(let deliveries) = push else { return [] }
                return deliveries.entries.compactMap { try? Fastchat_V1_MailboxItem(serializedBytes: $0.item).envelope.messageID }
            }
            #expect(delivered.count == ids.count)
            #expect(Set(delivered) == Set(ids.map(\.bytes)))
            await carol.close()
        }
    }

    /// Signs `recipient` up (password "pw") and leaves three messages from bob waiting for them; their ids in order.
    private func messagesWaiting(for recipient: String, on node: NodeHarness) async throws -> [UUID] {
        try await node.client(home: recipient).signUp(username: recipient, password: "pw")
        let bob = try await node.user("bob")
        var ids: [UUID] = []
        for text in ["one", "two", "three"] {
            ids.append(try await bob.send(text, to: recipient))
        }
        await bob.signOut()
        return ids
    }

    /// The seqs of the entries `pushes` delivered in `Deliveries` frames, in order.
    private func seqs(of pushes: [Frame.OneOf_Body]) -> [UInt64] {
        pushes.flatMap { push -> [UInt64] in
            if case .deliveries(let deliveries) = push { return deliveries.entries.map(\.seq) }
            return []
        }
    }

    /// What the node pushes until `Synced` (which ends the sign-in replay), without it.
    private func pushesUntilSynced(on connection: FrameConnection) async throws -> [Frame.OneOf_Body] {
        try await within(patience, "the sign-in replay ends with Synced") {
            var pushes: [Frame.OneOf_Body] = []
            for await push in connection.pushes {
                if case .synced = push { return pushes }
                pushes.append(push)
            }
            throw Disconnected(reason: "the connection closed before Synced")
        }
    }
}
