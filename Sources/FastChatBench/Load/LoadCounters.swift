/// What the clients on one event loop counted; loops' counters are merged into the run's figures.
struct LoadCounters: Sendable {
    /// Messages written, whether or not in the measured window.
    var sent: UInt64 = 0
    /// Messages whose scheduled send time is in the window (the offered load).
    var sentInWindow: UInt64 = 0
    /// Messages the servers stored (✓) whose scheduled send time is in the window, times the copies each makes.
    var expectedCopies: UInt64 = 0
    /// Copies received for the first time, of messages scheduled in the window.
    var deliveredInWindow: UInt64 = 0
    /// Every copy received, in or out of the window (progress line).
    var deliveredTotal: UInt64 = 0
    /// Copies that arrived while the window was open, whenever they were sent (the delivered rate).
    var receivedDuringWindow: UInt64 = 0
    var undecryptable: UInt64 = 0
    /// Every client error by cause: sends refused or unanswered, and connections lost.
    var errors = ClientErrorCounts()
    var latency = LatencyRecorder()
    var tracker = DeliveryTracker()

    mutating func merge(_ other: LoadCounters) {
        sent += other.sent
        sentInWindow += other.sentInWindow
        receivedDuringWindow += other.receivedDuringWindow
        expectedCopies += other.expectedCopies
        deliveredInWindow += other.deliveredInWindow
        deliveredTotal += other.deliveredTotal
        undecryptable += other.undecryptable
        errors.merge(other.errors)
        latency.merge(other.latency)
        tracker.merge(other.tracker)
    }

    /// Sends (and acks) the cluster refused or did not answer, and messages that could not be sealed.
    var sendErrors: UInt64 { errors.total(.request) }
    /// Connections that closed under a client, and clients no node took back after a `Move`.
    var connectionsLost: UInt64 { errors.total(.connection) }
}
