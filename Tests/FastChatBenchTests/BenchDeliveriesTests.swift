import FastChatProtocol
import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import FastChatBench

/// The load generator speaks protocol version 2: each entry of a `Deliveries` frame counts as the same `Deliver`.
@Suite struct BenchDeliveriesTests {
    @Test func entriesCountInOrderAndAreAllAcknowledged() throws {
        let channel = EmbeddedChannel()
        let load = LoopLoad(eventLoop: channel.embeddedEventLoop, directory: nil)
        let connection = BenchConnection(load: load)
        try channel.pipeline.syncOperations.addHandler(connection)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7101)).wait()
        connection.user = try BenchUser(index: 0, prefix: "d", kdf: .fast)
        load.add(connection)

        func item(_ sequence: UInt32) throws -> Data {
            try Fastchat_V1_MailboxItem.with {
                $0.envelope.messageID = MessageStamp(sender: 1, sequence: sequence, intendedNanos: 0).bytes
            }.serializedData()
        }
        // Sequences 0, 2, 1 (late: reordered) and 1 again (a duplicate), and between them an item that does not
        // parse: acknowledged like the rest, and not counted as a message.
        let items = [try item(0), Data([0xFF]), try item(2), try item(1), try item(1)]
        try channel.writeInbound(Frame(.deliveries(.with {
            $0.entries = items.enumerated().map { index, item in .with { $0.seq = 10 + UInt64(index); $0.item = item } }
        })))
        _ = connection.flush(acknowledging: true)

        let ack = try #require(try channel.readOutbound(as: Frame.self))
        #expect(ack.ack.seqs == [10, 11, 12, 13, 14])
        let counted = load.snapshot
        #expect(counted.deliveredTotal == 4)
        #expect(counted.tracker.unique == 3)
        #expect(counted.tracker.reordered == 1)
        #expect(counted.tracker.duplicates == 1)
    }
}
