/// Recipient-side accounting of which messages arrived: new, duplicate or out of order.
///
/// Sequence numbers must be dense per stream — one stream is one sender's messages to this tracker's recipient
/// (or to a group it is in), numbered `firstSequence`, `firstSequence + 1`, … A counter shared by a sender across
/// several recipients would leave every other recipient's numbers as permanent gaps here, which costs memory.
///
/// Memory stays small: per sender only the highest sequence seen and the gaps below it (sequences not yet seen),
/// so a message is a duplicate exactly when its sequence is at or below the highest and not a gap.
public struct DeliveryTracker: Sendable {
    public enum Verdict: Sendable, Equatable {
        case new
        case duplicate
        /// Arrived after a higher sequence from the same sender; still counted as received (in `unique`).
        case reordered
    }

    private struct Stream: Sendable {
        /// Lowest sequence the window covers; below it nothing is known yet.
        var low: UInt64
        /// Highest sequence seen, or nil before the first message.
        var highest: UInt64?
        var gaps: Set<UInt64> = []
    }

    public private(set) var unique: UInt64 = 0
    public private(set) var duplicates: UInt64 = 0
    public private(set) var reordered: UInt64 = 0
    private var streams: [UInt32: Stream] = [:]
    private let firstSequence: UInt64

    /// - Parameter firstSequence: the first sequence number of every sender's stream. Messages before a sender's
    ///   first arrival are gaps from here, so a late first message is recognised as reordered, not a duplicate.
    public init(firstSequence: UInt64 = 0) {
        self.firstSequence = firstSequence
    }

    /// Counts the arrival of `sequence` from `sender` and says what it was.
    @discardableResult
    public mutating func received(sender: UInt32, sequence: UInt64) -> Verdict {
        var stream = streams[sender] ?? Stream(low: firstSequence)
        defer { streams[sender] = stream }
        let verdict = Self.classify(sequence, in: &stream)
        switch verdict {
        case .new: unique += 1
        case .reordered: unique += 1; reordered += 1
        case .duplicate: duplicates += 1
        }
        return verdict
    }

    private static func classify(_ sequence: UInt64, in stream: inout Stream) -> Verdict {
        if sequence < stream.low {
            // Below the window (a sender numbering from lower than agreed): widen it rather than call it a duplicate.
            stream.gaps.formUnion(sequence + 1 ..< stream.low)
            stream.low = sequence
            if stream.highest == nil { stream.highest = sequence; return .new }
            return .reordered
        }
        guard let highest = stream.highest else {
            stream.gaps.formUnion(stream.low ..< sequence)
            stream.highest = sequence
            return .new
        }
        if sequence > highest {
            stream.gaps.formUnion(highest + 1 ..< sequence)
            stream.highest = sequence
            return .new
        }
        return stream.gaps.remove(sequence) == nil ? .duplicate : .reordered
    }

    /// Adds another recipient's counts. Per-sender state stays separate: another recipient's stream from the same
    /// sender is a different stream, so only the counts combine.
    public mutating func merge(_ other: DeliveryTracker) {
        unique += other.unique
        duplicates += other.duplicates
        reordered += other.reordered
    }

    /// Messages expected but not (yet) received: `sent − unique`, never negative.
    public static func lost(sent: UInt64, unique: UInt64) -> UInt64 {
        sent > unique ? sent - unique : 0
    }

    public func counts(sent: UInt64) -> DeliveryCounts {
        DeliveryCounts(sent: sent, unique: unique, duplicates: duplicates, reordered: reordered)
    }
}

/// The totals of a run: what was sent against what the recipients saw.
public struct DeliveryCounts: Sendable, Equatable, Codable {
    public var sent: UInt64
    public var unique: UInt64
    public var duplicates: UInt64
    public var reordered: UInt64

    public init(sent: UInt64, unique: UInt64, duplicates: UInt64, reordered: UInt64) {
        self.sent = sent
        self.unique = unique
        self.duplicates = duplicates
        self.reordered = reordered
    }

    public var lost: UInt64 { DeliveryTracker.lost(sent: sent, unique: unique) }
}
