import Dispatch
import Foundation
import GRDB
import Synchronization

/// Turns at SQLite's write lock for the processes that share one database file.
///
/// SQLite gives its write lock to whoever asks at the right moment, not to whoever has waited longest. Its own busy
/// handler sleeps longer and longer between tries (up to 100 ms), while a busy process commits and begins its next
/// transaction within microseconds. Under load one node then holds the lock for tens of seconds while the others
/// wait, with their heartbeats among the waiting writes, and the cluster takes them for dead (BENCHMARKS.md, "The
/// write lock, taken in turns").
///
/// So a waiting writer tries again every fraction of a millisecond and says that it waits, in a small file beside
/// the database (`PATH-turns`: when, and who). A writer about to begin a transaction right after its last commit
/// reads it and, while someone else waits, leaves the lock free for a moment first, longer than a waiter's interval
/// between tries. The pause comes before the next transaction, not after the commit, so what was committed is
/// reported at once. A process alone on its file never waits and never pauses; one that finds no turns file (it
/// could not be made) only loses the pause.
final class SQLiteWriteTurns: Sendable {
    /// Between two tries at a lock another connection holds.
    static let retryMicroseconds: ClosedRange<UInt32> = 100...400
    /// Between a commit and the next transaction, while another writer waits: longer than the longest retry
    /// interval, so its next try falls in it.
    static let pauseMicroseconds: UInt32 = 500
    /// A waiter says so again at most this often…
    static let announceEveryTries = 4
    /// …and is taken to wait for this long after it last said so.
    let waitingFreshNanoseconds: UInt64

    /// A writer gives up (SQLITE_BUSY) after waiting at least this long…
    let timeout: TimeInterval
    /// …or this long, while waits are brief (`briefly`).
    static let briefTimeout: TimeInterval = 0.05
    private let brief = Atomic<Bool>(false)
    /// The turns file, open for reading and writing; -1 if it could not be opened.
    private let descriptor: Int32
    /// Tells this pool's announcements from others' (several pools may share a process, as in tests).
    private let id = UInt64.random(in: 1...UInt64.max)
    /// When this pool's writer last committed.
    private let lastCommit = Atomic<UInt64>(0)

    /// `waitingFresh`: tests make it long, so that a busy machine's scheduling does not decide what they see.
    init(databasePath: String, timeout: TimeInterval, waitingFresh: Duration = .milliseconds(5)) {
        self.timeout = timeout
        let (seconds, attoseconds) = waitingFresh.components
        waitingFreshNanoseconds = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        descriptor = open(databasePath + "-turns", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// SQLite's busy handler: true to try again (after a short sleep), false to give up.
    func retry(afterTries tries: Int) -> Bool {
        let timeout = brief.load(ordering: .relaxed) ? Self.briefTimeout : timeout
        // Every try sleeps at least the shortest interval, so this waits at least `timeout`.
        guard Double(tries) * Double(Self.retryMicroseconds.lowerBound) / 1e6 < timeout else { return false }
        if tries % Self.announceEveryTries == 0 { announceWaiting() }
        usleep(.random(in: Self.retryMicroseconds))
        return true
    }

    /// Runs `body` (on the writer) with waits for the lock or for readers cut to `briefTimeout`: for work that may as
    /// well be tried again later, such as a checkpoint, rather than hold the writer back.
    func briefly<T>(_ body: () throws -> T) rethrows -> T {
        brief.store(true, ordering: .relaxed)
        defer { brief.store(false, ordering: .relaxed) }
        return try body()
    }

    /// Called on the writer right after each commit, the lock already released.
    func didCommit() {
        lastCommit.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }

    /// Called on the writer before it begins a transaction: waits for what is left of the pause after its last commit
    /// while another writer waits.
    func awaitTurn() {
        let pause = pauseBeforeNextWrite()
        if pause > 0 { usleep(pause) }
    }

    /// Microseconds to wait before the next transaction: what is left of the pause after the last commit if
    /// another writer waits, else 0.
    func pauseBeforeNextWrite() -> UInt32 {
        let sinceCommit = (DispatchTime.now().uptimeNanoseconds - lastCommit.load(ordering: .relaxed)) / 1000
        guard sinceCommit < Self.pauseMicroseconds, anotherWriterWaits() else { return 0 }
        return Self.pauseMicroseconds - UInt32(sinceCommit)
    }

    /// Whether a writer of another pool said lately that it waits for the lock.
    func anotherWriterWaits() -> Bool {
        guard let (waitingAt, waiter) = lastAnnouncement(), waiter != id else { return false }
        let now = DispatchTime.now().uptimeNanoseconds
        return now >= waitingAt && now - waitingAt < waitingFreshNanoseconds
    }

    /// Sets `configuration` up to take turns: the busy handler. The store's writes call `awaitTurn()` before they
    /// begin and `didCommit()` after (`SQLiteStore.writeTransaction`).
    func install(in configuration: inout Configuration) {
        configuration.busyMode = .callback { [self] tries in retry(afterTries: tries) }
    }

    // The monotonic clock is the machine's, the same in every process that shares the file.
    private func announceWaiting() {
        guard descriptor >= 0 else { return }
        var record: (UInt64, UInt64) = (DispatchTime.now().uptimeNanoseconds, id)
        _ = withUnsafeBytes(of: &record) { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// The last waiter's announcement in the turns file; nil while no writer has waited.
    func lastAnnouncement() -> (at: UInt64, by: UInt64)? {
        guard descriptor >= 0 else { return nil }
        var record: (UInt64, UInt64) = (0, 0)
        let read = withUnsafeMutableBytes(of: &record) { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard read == MemoryLayout<(UInt64, UInt64)>.size else { return nil }
        return record
    }
}
