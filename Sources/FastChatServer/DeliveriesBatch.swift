import FastChatProtocol
import Foundation

/// How a connection gets its mailbox entries: one `Deliver` each (protocol version 1), or packed into `Deliveries`
/// frames with the stored items as they are (version 2).
enum PushFraming: Sendable, Equatable {
    case deliverEach
    case deliveries(maxFrameBytes: Int)
}

/// Entries for a version-2 connection, gathered into `Deliveries` frames that each stay within the peer's frame
/// limit. Sizes are upper bounds from the fields' lengths, not serializations (as in `Forward.split`); a single
/// entry always fits, since a node stores only items that leave `Wire.pushOverhead` to spare.
struct DeliveriesBatch {
    /// At most: the entry's tag and length, and the tags and values of its seq and time (10 bytes each).
    static let entryOverhead = 40
    /// At most: the frame's body tag and length.
    static let frameOverhead = 16

    let maxFrameBytes: Int
    private var current = Fastchat_V1_Deliveries()
    private(set) var bytes = Self.frameOverhead

    init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    var isEmpty: Bool { current.entries.isEmpty }

    /// Adds an entry; returns the frame gathered so far when the entry does not fit beside it, to be sent first.
    mutating func add(seq: UInt64, item: Data, storedAtMs: Int64) -> Frame? {
        let cost = item.count + Self.entryOverhead
        let full = bytes + cost > maxFrameBytes && !isEmpty ? take() : nil
        var delivery = Fastchat_V1_Delivery()
        delivery.seq = seq
        delivery.item = item
        delivery.storedAtMs = storedAtMs
        current.entries.append(delivery)
        bytes += cost
        return full
    }

    /// The frame gathered so far, if any; the batch starts empty again.
    mutating func take() -> Frame? {
        guard !isEmpty else { return nil }
        defer {
            current = Fastchat_V1_Deliveries()
            bytes = Self.frameOverhead
        }
        return Frame(.deliveries(current))
    }
}
