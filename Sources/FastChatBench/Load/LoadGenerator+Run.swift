import FastChatProtocol
import Foundation
import NIOCore

/// What the progress line shows while a run is going.
public struct LoadProgress: Sendable {
    public var elapsedSeconds: Double
    public var totalSeconds: Double
    public var delivered: UInt64
    public var deliveredPerSecond: Double
    public var p50Milliseconds: Double?
}

extension LoadGenerator {
    /// Reads the servers' CPU time and memory, by node name.
    public typealias Sampler = @Sendable () -> [String: ProcessSample]

    /// Sends `rate` messages per second in all (each loop its share, by its number of clients) for `warmup`, then
    /// measures for `duration`, then stops sending and waits for what was sent in the window to arrive.
    /// `alongside` (a rolling restart) starts with the window; sending goes on until it has finished too.
    public func run(
        rate: Double, warmup: Duration, duration: Duration, sample: Sampler,
        alongside: (@Sendable () async throws -> Void)? = nil,
        progress: @escaping @Sendable (LoadProgress) -> Void = { _ in }
    ) async throws -> LoadOutcome {
        // Clients of a draining node move meanwhile (cancelled and awaited when the run ends).
        async let _ = followMoves()
        return try await measure(
            rate: rate, warmup: warmup, duration: duration, sample: sample, alongside: alongside, progress: progress)
    }

    private func measure(
        rate: Double, warmup: Duration, duration: Duration, sample: Sampler,
        alongside: (@Sendable () async throws -> Void)?, progress: @escaping @Sendable (LoadProgress) -> Void
    ) async throws -> LoadOutcome {
        let start = NIODeadline.now().uptimeNanoseconds + 20_000_000
        let windowStart = start + warmup.nanoseconds
        let windowEnd = windowStart + duration.nanoseconds
        // Slow readers do not send: the rate is shared by the connections that do.
        let total = Double(channels.count - plan.slowReaders)
        try await eachLoad { load in
            load.measure(windowStart..<windowEnd)
            load.startSending(ratePerSecond: rate * Double(load.connections.count) / total, startNanos: start)
        }
        try await sleep(until: windowStart)
        async let sideWork: Void = alongside?() ?? ()
        let before = sample()
        var lastDelivered: UInt64 = 0
        var lastTime = windowStart
        while NIODeadline.now().uptimeNanoseconds < windowEnd {
            try await sleep(until: min(windowEnd, NIODeadline.now().uptimeNanoseconds + 1_000_000_000))
            let now = NIODeadline.now().uptimeNanoseconds
            let counters = try await merged()
            progress(
                LoadProgress(
                    elapsedSeconds: Double(now - windowStart) / 1e9, totalSeconds: Double(duration.nanoseconds) / 1e9,
                    delivered: counters.receivedDuringWindow,
                    deliveredPerSecond: Double(counters.receivedDuringWindow - lastDelivered) / (Double(now - lastTime) / 1e9),
                    p50Milliseconds: counters.latency.count > 0 ? counters.latency.summary().p50 : nil))
            lastDelivered = counters.receivedDuringWindow
            lastTime = now
        }
        let after = sample()
        try await sideWork
        try await eachLoad { $0.stopSending() }
        // Slow readers hold everything sent to them in the window: they read now, and all of it must arrive once.
        let backlog = plan.slowReaders > 0
        if backlog { try await resumeSlowReaders() }
        let counters = try await drain(for: backlog ? .seconds(300) : .seconds(30))
        // The peak (VmHWM) only grows: read after the readers' backlog went out, it covers the whole run.
        let end = sample()
        if counters.sendErrors + counters.connectionsLost > 0 {
            // Refused sends are not lost (a client would send them again), but the run did not go cleanly.
            logger.warning("Some sends were refused or connections lost", metadata: [
                "refused": "\(counters.sendErrors)", "connections_lost": "\(counters.connectionsLost)",
                "by_cause": "\(ResultTable.causes(counters.errors.byName))",
            ])
        }
        return outcome(counters, rate: rate, duration: duration, before: before, after: after, end: end)
    }

    /// Waits until every copy of every message stored in the window has arrived, or nothing has moved for a while.
    private func drain(for patience: TimeAmount) async throws -> LoadCounters {
        var previous = try await merged()
        var still = 0
        let deadline = NIODeadline.now() + patience
        while NIODeadline.now() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let counters = try await merged()
            let moved = counters.deliveredTotal != previous.deliveredTotal || counters.expectedCopies != previous.expectedCopies
            still = moved ? 0 : still + 1
            previous = counters
            // Replies for sends still in flight may yet raise the expected count: require a quiet moment too.
            if counters.deliveredInWindow >= counters.expectedCopies, still >= 3 { break }
            if still >= 50 { break }  // 5 s without any progress: what is missing is lost.
        }
        return previous
    }

    private func outcome(
        _ counters: LoadCounters, rate: Double, duration: Duration, before: [String: ProcessSample],
        after: [String: ProcessSample], end: [String: ProcessSample]
    ) -> LoadOutcome {
        let seconds = Double(duration.nanoseconds) / 1e9
        var cpu: [String: Double] = [:]
        var peak: [String: Int] = [:]
        for (node, last) in after {
            cpu[node] = last.cpuSeconds - (before[node]?.cpuSeconds ?? last.cpuSeconds)
        }
        for (node, sample) in end.merging(after, uniquingKeysWith: { end, _ in end }) {
            peak[node] = sample.peakRSSBytes
        }
        let delivered = Double(counters.receivedDuringWindow) / seconds
        return LoadOutcome(
            targetRate: rate,
            durationSeconds: seconds,
            offeredPerSecond: Double(counters.sentInWindow) / seconds,
            deliveredPerSecond: delivered,
            latency: counters.latency.summary(),
            // A copy that arrived but does not open (with --crypto) is as lost to its recipient as one that never came.
            lost: (counters.expectedCopies > counters.deliveredInWindow ? counters.expectedCopies - counters.deliveredInWindow : 0)
                + counters.undecryptable,
            duplicates: counters.tracker.duplicates,
            reordered: counters.tracker.reordered,
            sendErrors: counters.sendErrors,
            undecryptable: counters.undecryptable,
            connectionsLost: counters.connectionsLost,
            clientErrorsByCause: counters.errors.byName,
            serverCPUSeconds: cpu,
            serverPeakRSSBytes: peak
        )
    }

    /// Steps the offered rate up (doubling until the cluster falls behind, then halving the gap) and returns every
    /// step; the saturation rate is the highest step whose deliveries kept up with what was offered (`keptUp`).
    public func findSaturation(
        startRate: Double, steps: Int, warmup: Duration, duration: Duration, sample: Sampler,
        progress: @escaping @Sendable (Double, LoadProgress) -> Void = { _, _ in }
    ) async throws -> (saturated: LoadOutcome?, curve: [LoadOutcome]) {
        var rate = startRate
        var best: LoadOutcome?
        var failed: Double?
        var curve: [LoadOutcome] = []
        for _ in 0..<steps {
            let step = rate
            let outcome = try await run(rate: rate, warmup: warmup, duration: duration, sample: sample, progress: { progress(step, $0) })
            curve.append(outcome)
            if Self.keptUp(outcome) {
                if best.map({ outcome.deliveredPerSecond > $0.deliveredPerSecond }) ?? true { best = outcome }
                rate = failed.map { (rate + $0) / 2 } ?? rate * 2
            } else {
                failed = min(failed ?? rate, rate)
                rate = ((best?.targetRate ?? rate / 4) + rate) / 2
            }
            if let failed, let best, (failed - best.targetRate) / best.targetRate < 0.08 { break }
        }
        return (best, curve)
    }

    /// Delivered at least 97 % of the offered rate, lost nothing, and no queue built up: a backlog shows as a p99
    /// that grows with the step's length, and 250 ms in a few seconds means the offered rate is past capacity.
    static func keptUp(_ outcome: LoadOutcome) -> Bool {
        outcome.deliveredPerSecond >= 0.97 * outcome.offeredPerSecond && outcome.lost == 0
            && outcome.sendErrors == 0 && outcome.latency.p99 < 250
    }

    private func merged() async throws -> LoadCounters {
        var total = LoadCounters()
        for load in loads {
            total.merge(try await load.eventLoop.submit { load.value.snapshot }.get())
        }
        return total
    }

    private func eachLoad(_ body: @escaping @Sendable (LoopLoad) -> Void) async throws {
        for load in loads {
            try await load.eventLoop.submit { body(load.value) }.get()
        }
    }

    private func sleep(until uptimeNanos: UInt64) async throws {
        let now = NIODeadline.now().uptimeNanoseconds
        if uptimeNanos > now { try await Task.sleep(nanoseconds: uptimeNanos - now) }
    }
}

extension Duration {
    var nanoseconds: UInt64 {
        UInt64(components.seconds) * 1_000_000_000 + UInt64(components.attoseconds / 1_000_000_000)
    }
}
