/// What the clients on one event loop counted; loops' counters are merged into the run's figures.
struct LoadCounters: Sendable {
    /// Messages written, whether or not in the measured window.
    var sent: UInt64 = 0
    /// Messages whose scheduled send time is in the window (the offered load).
    var sentInWindow: UInt64 = 0
    /// Messages the servers stored (✓) whose scheduled send time is in the window, times the copies each makes.
    var expectedCopies: UInt64 = 0
    var sendErrors: UInt64 = 0
    /// Copies received for the first time, of messages scheduled in the window.
    var deliveredInWindow: UInt64 = 0
    /// Every copy received, in or out of the window (progress line).
    var deliveredTotal: UInt64 = 0
    /// Copies that arrived while the window was open, whenever they were sent (the delivered rate).
    var receivedDuringWindow: UInt64 = 0
    var undecryptable: UInt64 = 0
    var connectionsLost: UInt64 = 0
    var latency = LatencyRecorder()
    var tracker = DeliveryTracker()

    mutating func merge(_ other: LoadCounters) {
        sent += other.sent
        sentInWindow += other.sentInWindow
        receivedDuringWindow += other.receivedDuringWindow
        expectedCopies += other.expectedCopies
        sendErrors += other.sendErrors
        deliveredInWindow += other.deliveredInWindow
        deliveredTotal += other.deliveredTotal
        undecryptable += other.undecryptable
        connectionsLost += other.connectionsLost
        latency.merge(other.latency)
        tracker.merge(other.tracker)
    }
}
