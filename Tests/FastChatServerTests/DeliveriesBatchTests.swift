import FastChatProtocol
@testable import FastChatServer
import Foundation
import Testing

/// Version-2 pushes gathered into `Deliveries` frames under the connection's frame limit.
@Suite struct DeliveriesBatchTests {
    static let maxBytes = 16 * 1024

    @Test func entriesAreGatheredInOrderIntoFramesUnderTheLimit() throws {
        var batch = DeliveriesBatch(maxFrameBytes: Self.maxBytes)
        var frames: [Frame] = []
        let items = (0..<300).map { Data(repeating: UInt8($0 % 256), count: ($0 * 97) % 3000) }
        for (index, item) in items.enumerated() {
            if let full = batch.add(seq: UInt64(index), item: item, storedAtMs: Int64(index)) { frames.append(full) }
        }
        frames += [batch.take()].compactMap { $0 }
        #expect(batch.take() == nil)

        #expect(frames.count > 1)
        var entries: [Fastchat_V1_Delivery] = []
        for frame in frames {
            #expect(try frame.serializedData().count <= Self.maxBytes)
            guard case .deliveries(let deliveries) = frame.body else {
                Issue.record("Not a Deliveries frame: \(frame)")
                continue
            }
            #expect(!deliveries.entries.isEmpty)
            entries += deliveries.entries
        }
        #expect(entries.map(\.item) == items)
        #expect(entries.map(\.seq) == (0..<300).map(UInt64.init))
    }

    /// The largest item a node stores, with the longest seq and time there are, fits a frame of its own; a second
    /// one goes in the next frame.
    @Test func theLargestStorableItemsFitOneFrameEach() throws {
        var batch = DeliveriesBatch(maxFrameBytes: Self.maxBytes)
        let item = Data(repeating: 0xAB, count: Self.maxBytes - Wire.pushOverhead)
        let none = batch.add(seq: .max, item: item, storedAtMs: .min)
        #expect(none == nil)
        let first = batch.add(seq: .max, item: item, storedAtMs: .min)
        let second = batch.take()
        let frames = [first, second].compactMap { $0 }
        #expect(frames.count == 2)
        for frame in frames {
            #expect(try frame.serializedData().count <= Self.maxBytes)
        }
    }

    /// Many empty items: the bound per entry covers what each really takes.
    @Test func manySmallEntriesStayUnderTheLimit() throws {
        var batch = DeliveriesBatch(maxFrameBytes: 4096)
        var frames: [Frame] = []
        for seq in 0..<1000 {
            if let full = batch.add(seq: UInt64.max - UInt64(seq), item: Data(), storedAtMs: -1) { frames.append(full) }
        }
        frames += [batch.take()].compactMap { $0 }
        #expect(frames.count > 1)
        for frame in frames {
            #expect(try frame.serializedData().count <= 4096)
        }
    }
}
