/// What one measured run at one offered rate produced.
public struct LoadOutcome: Sendable {
    public var targetRate: Double
    public var durationSeconds: Double
    /// Messages scheduled in the window, per second.
    public var offeredPerSecond: Double
    /// Copies that reached their recipients while the window was open, per second (for groups: member copies).
    public var deliveredPerSecond: Double
    public var latency: LatencySummary
    public var lost: UInt64
    public var duplicates: UInt64
    public var reordered: UInt64
    public var sendErrors: UInt64
    public var undecryptable: UInt64
    public var connectionsLost: UInt64
    /// Send errors and lost connections by cause (`ClientErrorCause` names); causes that did not occur are absent.
    public var clientErrorsByCause: [String: UInt64]
    /// CPU seconds each server spent in the window, and the peak RSS each had reached by its end.
    public var serverCPUSeconds: [String: Double]
    public var serverPeakRSSBytes: [String: Int]

    /// All servers' CPU time in the window divided by the copies delivered in it.
    public var serverCPUMicrosecondsPerMessage: Double {
        let delivered = deliveredPerSecond * durationSeconds
        return delivered > 0 ? serverCPUSeconds.values.reduce(0, +) * 1e6 / delivered : 0
    }
}
