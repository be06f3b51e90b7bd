import NIOCore

/// Acknowledged entries that may still reach a session again, remembered for a while so that they are not pushed
/// twice.
///
/// An entry a replay pushed can also arrive live, late: its commit's route (or another node's forward) was under way
/// when the replay read it from the store. And a replay's page read before an acknowledgement was stored still holds
/// the entry. An entry pushed live and acknowledged outside a replay needs no memory: each entry is routed once.
///
/// Every session has one, and most are empty most of the time: it starts with room for one entry (NIO's default
/// ring is 16 entries of 48 bytes) and gives its room back once it has forgotten everything.
struct RecentAcknowledgements {
    /// Far longer than a route or a forward takes; what arrives later than this is pushed again (and a client
    /// recognises it by its message id).
    static let window: Duration = .seconds(60)
    private var seqs: Set<Int64> = []
    private var order = CircularBuffer<(seq: Int64, at: ContinuousClock.Instant)>(initialCapacity: 1)

    mutating func remember(_ seq: Int64, at now: ContinuousClock.Instant) {
        forget(before: now - Self.window)
        if seqs.insert(seq).inserted { order.append((seq, now)) }
    }

    func contains(_ seq: Int64) -> Bool {
        seqs.contains(seq)
    }

    mutating func forget(before cutoff: ContinuousClock.Instant) {
        guard let first = order.first, first.at < cutoff else { return }
        while let first = order.first, first.at < cutoff {
            order.removeFirst()
            seqs.remove(first.seq)
        }
        if order.isEmpty { removeAll() }
    }

    mutating func removeAll() {
        seqs = []
        order = CircularBuffer(initialCapacity: 1)
    }

    /// Entries the ring has room for without growing.
    var capacity: Int { order.capacity }
}
