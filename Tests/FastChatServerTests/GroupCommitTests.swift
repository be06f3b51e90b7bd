@testable import FastChatServer
@testable import FastChatStore
import Logging
import Metrics
import Synchronization
import Testing

/// The commit stage without a store: a write that can be held at a gate or made to fail stands in for the
/// transaction, so what is batched with what, and what each sender is told, is decided by the stage alone.
@Suite struct GroupCommitTests {
    /// Senders that arrive while a commit is running wait for it and then go together, at most `maxBatchSize` at a
    /// time, each told its own outcome, in the order they were submitted.
    @Test func sendersBehindASlowCommitAreBatchedTogether() async {
        let stage = Stage(maxBatchSize: 3)
        await stage.running { await stage.submitBehindAHeldCommit(1...5) }

        #expect(await stage.log.batches == [[0], [1, 2, 3], [4, 5]])
        #expect(await stage.log.outcomes == (0...5).map { .committed($0 * 10) })
    }

    /// Batches are bounded in rows, not items: a heavy item (a group message, one row per member) fills a batch on
    /// its own, so one transaction, and whatever waits for the store behind it, stays short; one heavier than a whole
    /// batch still goes, alone.
    @Test func batchesAreBoundedInRowsAndAHeavyItemGoesAlone() async {
        // Each item weighs itself; 20 and 7 are heavy against batches of 8 rows (and the queue holds 64).
        let stage = Stage(maxBatchSize: 8, weighing: true)
        await stage.running {
            await stage.gate.close()
            await stage.submit(0)
            await stage.gate.waitUntilSomeoneWaits()
            for item in [1, 2, 3, 20, 4, 7, 1] { await stage.submit(item) }
            await stage.gate.open()
        }

        #expect(await stage.log.batches == [[0], [1, 2, 3], [20], [4], [7, 1]])
    }

    /// The queue is bounded in rows too (eight batches' worth): beyond it `submitNow` takes nothing (the caller then
    /// waits with `submit`), however few items are queued.
    @Test func theQueueIsBoundedInRows() throws {
        let stage = Stage(maxBatchSize: 8, weighing: true)
        #expect(try stage.commit.submitNow(60, ticket: { _ in }))
        #expect(try stage.commit.submitNow(10, ticket: { _ in }), "60 rows leave room under 64")
        #expect(try !stage.commit.submitNow(1, ticket: { _ in }), "70 rows queued: no room")
    }

    /// A commit that fails fails every member of its batch, and only them; the stage keeps going.
    @Test func aFailingCommitFailsItsWholeBatchAndTheNextBatchStillCommits() async {
        let stage = Stage(maxBatchSize: 8, failing: 2)
        await stage.running {
            await stage.submitBehindAHeldCommit(1...3)
            await stage.log.waitUntilWritten(batches: 2)
            for item in 4...5 { await stage.submit(item) }
        }

        let batches = await stage.log.batches
        #expect(batches.prefix(2) == [[0], [1, 2, 3]])
        #expect(batches.dropFirst(2).flatMap { $0 } == [4, 5])
        #expect(
            await stage.log.outcomes == [.committed(0), .failed(1), .failed(2), .failed(3), .committed(40), .committed(50)])
    }

    /// Reporting a batch (routing it, which may wait for a node link) does not hold up the write of the next one;
    /// the next batch's reports still come after it.
    @Test func theNextBatchIsWrittenWhileTheLastOneIsReported() async {
        let stage = Stage(maxBatchSize: 8)
        let reporting = Gate()
        await reporting.close()
        await stage.running {
            await stage.submit(0) { await reporting.pass() }
            await reporting.waitUntilSomeoneWaits()
            await stage.submit(1)
            await stage.log.waitUntilWritten(batches: 2)
            #expect(await stage.log.outcomes.isEmpty, "batch [1] was written while [0] was still being reported")
            await reporting.open()
        }
        #expect(await stage.log.batches == [[0], [1]])
        #expect(await stage.log.outcomes == [.committed(0), .committed(10)])
    }

    /// A stage given an executor (a SQLite store's writer thread) writes and reports there, and runs what a report
    /// leaves elsewhere, so that the writer thread is free for the next batch meanwhile.
    @Test func aStageWritesAndReportsOnItsExecutorAndLeavesTheRestElsewhere() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let notes = Notes()
        @Sendable func note(_ what: String) {
            notes.add(what + (SQLiteStore.onWriterThread ? " on writer" : " elsewhere"))
        }
        let stage = Stage(maxBatchSize: 8, executor: scratch.store.batchWriteExecutor) { _ in note("write") }
        await stage.running(reportingAtOnce: { note("report") }) {
            await stage.submit(1) { note("remainder") }
        }
        #expect(await stage.log.outcomes == [.committed(10)])
        #expect(notes.all == ["write on writer", "report on writer", "remainder elsewhere"])
    }

    /// With the next batch already waiting, a batch is reported off the stage's executor, whole, so that the next
    /// write starts at once.
    @Test func withTheNextBatchWaitingAReportRunsElsewhere() async throws {
        let scratch = try ScratchStore()
        defer { scratch.remove() }
        let notes = Notes()
        let stage = Stage(maxBatchSize: 8, executor: scratch.store.batchWriteExecutor)
        await stage.running(reportingAtOnce: {
            notes.add(SQLiteStore.onWriterThread ? "report on writer" : "report elsewhere")
        }) {
            await stage.submitBehindAHeldCommit(1...1)
        }
        #expect(await stage.log.batches == [[0], [1]])
        #expect(notes.all == ["report elsewhere", "report on writer"], "[1] was waiting when [0] was reported; nothing was then")
    }

    /// A report that leaves nothing for later still waits for what the batch before it left: reports keep commit
    /// order.
    @Test func aReportFollowsWhatTheLastOneLeft() async {
        let stage = Stage(maxBatchSize: 8)
        let order = Notes()
        let remainder = Gate()
        await remainder.close()
        let commit = stage.commit
        await withDiscardingTaskGroup { group in
            group.addTask {
                await commit.run { reports in
                    let items = reports.map(\.item)
                    guard items != [0] else {
                        return {
                            await remainder.pass()
                            order.add("remainder of \(items)")
                        }
                    }
                    order.add("report of \(items)")
                    return nil
                }
            }
            await stage.submit(0)
            await remainder.waitUntilSomeoneWaits()
            await stage.submit(1)
            await stage.log.waitUntilWritten(batches: 2)
            #expect(order.all.isEmpty, "[1] waits for what [0] left")
            await remainder.open()
            commit.finish()
        }
        #expect(order.all == ["remainder of [0]", "report of [1]"])
    }

    /// Once finished, the stage writes and reports what was queued, then refuses anything new (with no report).
    @Test func aFinishedStageRefusesNewItems() async {
        let stage = Stage(maxBatchSize: 8)
        await stage.running { await stage.submit(1) }
        await stage.submit(2)
        #expect(await stage.log.batches == [[1]])
        #expect(await stage.log.outcomes == [.committed(10), .failed(2)])
    }
}

private struct Refused: Error {}

/// What happened, in order, noted from any thread.
private final class Notes: Sendable {
    private let notes = Mutex<[String]>([])

    func add(_ note: String) { notes.withLock { $0.append(note) } }

    var all: [String] { notes.withLock { $0 } }
}

private enum Outcome: Equatable {
    case committed(Int)
    case failed(Int)
}

/// What the write saw and what the senders were told.
private actor Log {
    var batches: [[Int]] = []
    var outcomes: [Outcome] = []

    private var writeWatchers: [(batches: Int, continuation: CheckedContinuation<Void, Never>)] = []

    func wrote(_ batch: [Int]) {
        batches.append(batch)
        for watcher in writeWatchers where watcher.batches <= batches.count { watcher.continuation.resume() }
        writeWatchers.removeAll { $0.batches <= batches.count }
    }

    func waitUntilWritten(batches count: Int) async {
        guard batches.count < count else { return }
        await withCheckedContinuation { writeWatchers.append((count, $0)) }
    }

    func told(_ outcome: Outcome) { outcomes.append(outcome) }
}

/// A commit stage whose write holds its first batch at `gate`, fails any batch holding `failing`, and otherwise
/// commits each item as ten times itself.
private struct Stage {
    let gate: Gate
    let log: Log
    /// Each item's ticket is its own answer, run by the report in submission order.
    let commit: GroupCommit<Int, Int, Answer>
    typealias Answer = @Sendable (Result<Int, any Error>) async -> Void

    /// `weighing`: each item writes as many rows as it says (else one). `executor`: the stage's; `writing` runs in
    /// each write.
    init(
        maxBatchSize: Int, failing: Int? = nil, weighing: Bool = false, executor: (any TaskExecutor)? = nil,
        writing: @escaping @Sendable ([Int]) -> Void = { _ in }
    ) {
        let (gate, log) = (Gate(), Log())
        (self.gate, self.log) = (gate, log)
        commit = GroupCommit(
            "test", maxBatchSize: maxBatchSize,
            storeErrors: Counter(label: "test_store_errors", factory: NOOPMetricsHandler.instance),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            executor: executor, weight: { weighing ? $0 : 1 }
        ) { batch in
            writing(batch)
            let first = await log.batches.isEmpty
            await log.wrote(batch)
            if first { await gate.pass() }
            if let failing, batch.contains(failing) { throw Refused() }
            return batch.map { $0 * 10 }
        }
    }

    /// Runs the stage around `body`; returns once everything submitted in it is written and reported. Each batch's
    /// report runs `reportingAtOnce` and leaves the answers for later.
    func running(reportingAtOnce: @escaping @Sendable () -> Void = {}, _ body: () async -> Void) async {
        let commit = self.commit
        await withDiscardingTaskGroup { group in
            group.addTask {
                await commit.run { reports in
                    reportingAtOnce()
                    return { for report in reports { await report.ticket(report.result) } }
                }
            }
            await body()
            commit.finish()
        }
    }

    /// Submits 0 and holds its commit until `items` are submitted too, then lets everything be written.
    func submitBehindAHeldCommit(_ items: ClosedRange<Int>) async {
        await gate.close()
        await submit(0)
        await gate.waitUntilSomeoneWaits()
        for item in items { await submit(item) }
        await gate.open()
    }

    /// Submits `item`; its report runs `beforeReporting` first. A refused item is told at once.
    func submit(_ item: Int, beforeReporting: @escaping @Sendable () async -> Void = {}) async {
        let log = self.log
        do {
            try await commit.submit(item, ticket: { result in
                await beforeReporting()
                switch result {
                case .success(let outcome): await log.told(.committed(outcome))
                case .failure: await log.told(.failed(item))
                }
            })
        } catch {
            await log.told(.failed(item))
        }
    }
}
