import Testing
@testable import FastChatBench

@Suite struct LatencyRecorderTests {
    private static let millisecond: UInt64 = 1_000_000

    /// Within HdrHistogram's three significant digits (0.1 %), plus one bucket of slack.
    private func expectClose(_ actual: Double, _ expected: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(actual - expected) <= expected * 0.002, "\(actual) vs \(expected)", sourceLocation: sourceLocation)
    }

    @Test func percentilesOfKnownSamples() {
        var recorder = LatencyRecorder()
        for ms in 1 ... 1000 { recorder.record(nanoseconds: UInt64(ms) * Self.millisecond) }
        let summary = recorder.summary()
        #expect(recorder.count == 1000)
        expectClose(summary.p50, 500)
        expectClose(summary.p90, 900)
        expectClose(summary.p99, 990)
        expectClose(summary.p999, 999)
        #expect(summary.max == 1000)
    }

    @Test func mergeEqualsRecordingEverything() {
        var all = LatencyRecorder()
        var even = LatencyRecorder()
        var odd = LatencyRecorder()
        for micro in stride(from: UInt64(3), through: 90_000, by: 7) {
            let nanoseconds = micro * 1_000
            all.record(nanoseconds: nanoseconds)
            if micro.isMultiple(of: 2) { even.record(nanoseconds: nanoseconds) } else { odd.record(nanoseconds: nanoseconds) }
        }
        even.merge(odd)
        #expect(even.count == all.count)
        #expect(even.summary() == all.summary())
    }

    @Test func mergeIntoEmptyAndOfEmpty() {
        var filled = LatencyRecorder()
        filled.record(nanoseconds: 5 * Self.millisecond)
        var empty = LatencyRecorder()
        empty.merge(filled)
        filled.merge(LatencyRecorder())
        #expect(empty.summary() == filled.summary())
        #expect(empty.count == 1)
    }

    @Test func emptyRecorderReportsZeros() {
        let recorder = LatencyRecorder()
        #expect(recorder.count == 0)
        #expect(recorder.summary() == LatencySummary(p50: 0, p90: 0, p99: 0, p999: 0, max: 0))
    }

    @Test func outliersBeyondSixtySecondsAreKept() {
        var recorder = LatencyRecorder()
        recorder.record(nanoseconds: Self.millisecond)
        recorder.record(nanoseconds: 120_000 * Self.millisecond)
        #expect(recorder.count == 2)
        #expect(recorder.summary().max == 120_000)
    }

    @Test func subMicrosecondLatenciesDoNotCrash() {
        var recorder = LatencyRecorder()
        recorder.record(nanoseconds: 0)
        recorder.record(nanoseconds: 400)
        #expect(recorder.count == 2)
        #expect(recorder.summary().p50 < 0.002)
    }
}
