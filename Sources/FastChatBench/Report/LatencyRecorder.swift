import Histogram

/// Latency percentiles of one run, in milliseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double

    public init(p50: Double, p90: Double, p99: Double, p999: Double, max: Double) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
    }

    public static let zero = LatencySummary(p50: 0, p90: 0, p99: 0, p999: 0, max: 0)
}

/// Records message latencies in an HdrHistogram (nanoseconds, 3 significant digits).
///
/// In open-loop mode a latency is measured from the message's *intended* (scheduled) send time, not from the moment
/// the sender got round to sending it. That is how coordinated omission is corrected: when a sender stalls, the
/// messages it sends late count their full delay, instead of the stall hiding behind a pause in the measurements.
///
/// One recorder per task or connection, merged at the end: recording is a plain mutation, no locks.
public struct LatencyRecorder: Sendable {
    private var histogram: Histogram<UInt64>

    /// 1 µs .. 60 s before the histogram grows: the range a chat message's latency plausibly spans, so the
    /// initial allocation stays small; `autoResize` keeps pathological outliers instead of dropping them.
    public init() {
        histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1_000,
            highestTrackableValue: 60_000_000_000,
            numberOfSignificantValueDigits: .three
        )
        histogram.autoResize = true
    }

    public var count: UInt64 { histogram.totalCount }

    public mutating func record(nanoseconds: UInt64) {
        histogram.record(nanoseconds)
    }

    public mutating func merge(_ other: LatencyRecorder) {
        histogram.add(other.histogram)
    }

    /// Zeros for an empty recorder, so a run that delivered nothing still reports (and plots) cleanly.
    public func summary() -> LatencySummary {
        guard histogram.totalCount > 0 else { return .zero }
        func ms(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1_000_000 }
        return LatencySummary(
            p50: ms(histogram.valueAtPercentile(50)),
            p90: ms(histogram.valueAtPercentile(90)),
            p99: ms(histogram.valueAtPercentile(99)),
            p999: ms(histogram.valueAtPercentile(99.9)),
            // The exact maximum, not its bucket's upper edge: the worst case is worth reporting precisely.
            max: ms(histogram.maxRecorded)
        )
    }
}
