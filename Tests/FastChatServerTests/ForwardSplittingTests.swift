import FastChatProtocol
@testable import FastChatServer
import Foundation
import Testing

/// A node's forward to another node, split to fit the receiving node's frame limit.
@Suite struct ForwardSplittingTests {
    static let maxBytes = 16 * 1024

    @Test func aLargeForwardIsSplitIntoFramesUnderTheLimitInOrder() throws {
        var forward = Fastchat_V1_Forward()
        forward.entries = (0..<300).map { Self.entry(seq: UInt64($0), itemBytes: ($0 * 97) % 3000) }
        forward.receipts = (0..<200).map(Self.receipt)
        forward.resync = ["carol", "dave"]
        forward.resyncEveryone = true
        forward.notHere = ["erin"]

        let parts = forward.split(maxBytes: Self.maxBytes)

        #expect(parts.count > 1)
        for part in parts {
            let bytes = try Frame(.forward(part)).serializedData().count
            #expect(bytes <= Self.maxBytes)
            #expect(!part.entries.isEmpty || !part.receipts.isEmpty)
        }
        #expect(parts.flatMap(\.entries) == forward.entries)
        #expect(parts.flatMap(\.receipts) == forward.receipts)
        #expect(parts.flatMap(\.resync) == forward.resync)
        #expect(parts.flatMap(\.notHere) == forward.notHere)
        #expect(parts.map(\.resyncEveryone) == [true] + Array(repeating: false, count: parts.count - 1))
    }

    @Test func aForwardThatFitsIsLeftWhole() {
        var forward = Fastchat_V1_Forward()
        forward.entries = (0..<3).map { Self.entry(seq: UInt64($0), itemBytes: 100) }
        forward.receipts = [Self.receipt(0)]
        forward.resync = ["carol"]
        forward.notHere = ["erin"]

        #expect(forward.split(maxBytes: Self.maxBytes) == [forward])
    }

    /// Entries close to the limit each go in a frame of their own.
    @Test func entriesNearTheLimitGoOneAFrame() throws {
        var forward = Fastchat_V1_Forward()
        forward.entries = (0..<4).map { Self.entry(seq: UInt64($0), itemBytes: Self.maxBytes - 200) }

        let parts = forward.split(maxBytes: Self.maxBytes)

        #expect(parts.map(\.entries) == forward.entries.map { [$0] })
        for part in parts { #expect(try Frame(.forward(part)).serializedData().count <= Self.maxBytes) }
    }

    private static func entry(seq: UInt64, itemBytes: Int) -> Fastchat_V1_ForwardedEntry {
        .with {
            $0.recipient = "bob\(seq % 7)"
            $0.seq = seq
            $0.sender = "alice"
            $0.messageID = Data(repeating: UInt8(seq % 256), count: 16)
            $0.item = Data(repeating: 0xAB, count: itemBytes)
            $0.storedAtMs = 1_700_000_000_000 + Int64(seq)
        }
    }

    private static func receipt(_ index: Int) -> Fastchat_V1_ForwardedReceipt {
        .with {
            $0.to = "alice"
            $0.receipt = .with {
                $0.messageID = Data(repeating: UInt8(index % 256), count: 16)
                $0.recipient = "bob"
            }
        }
    }
}
