/// Runs the node's connections' work: each connection's opening, each batch of frames its channel handler hands over
/// (`ConnectionInbound`), each writability change, each connection's end. Every piece runs in its own child task, so
/// connections are served concurrently; a connection hands over its next batch only once the last one is done, so its
/// frames are handled in order. An idle connection holds no task.
///
/// One per node, run as a child task of the node for as long as it serves. `stop()` (once the listener has closed
/// and every connection was told to close) lets `run()` return once every connection that started has ended.
final class ConnectionScheduler: Sendable {
    typealias Job = @Sendable () async -> Void

    private enum Work: Sendable {
        /// A connection's opening: from now on the scheduler waits for its end.
        case start(Job)
        case run(Job)
        /// A connection's last work (its end): the scheduler waits for one fewer once it has run.
        case end(Job)
        case ended
        case stop
    }

    private let work: AsyncStream<Work>
    private let submitter: AsyncStream<Work>.Continuation

    init() {
        (work, submitter) = AsyncStream.makeStream(of: Work.self)
    }

    /// Runs a connection's opening. False once the scheduler has stopped (the node is stopping): the connection is
    /// to be closed unserved, and it has no end to run.
    func start(_ job: @escaping Job) -> Bool {
        submit(.start(job))
    }

    /// Runs a later batch of a started connection, or a notice to one (a writability change).
    @discardableResult
    func run(_ job: @escaping Job) -> Bool {
        submit(.run(job))
    }

    /// Runs a started connection's end, its last work.
    func end(_ job: @escaping Job) {
        _ = submit(.end(job))
    }

    /// No connection starts from now on unless one has yet to end: `run()` returns once none is left.
    func stop() {
        submitter.yield(.stop)
    }

    private func submit(_ work: Work) -> Bool {
        if case .terminated = submitter.yield(work) { return false }
        return true
    }

    /// Runs the work handed over until `stop()` and every started connection has ended.
    ///
    /// The loop runs in a task of its own that the caller awaits (so it does not outlive the call): the node's
    /// cancellation must not end it, since a cancelled node still closes its connections and runs each one's end
    /// (signing its user out, releasing its limits) before the store goes; the listener's close is what stops it.
    func run() async {
        let work = self.work
        let submitter = self.submitter
        let loop = Task {
            await withDiscardingTaskGroup { group in
                var started = 0
                var stopping = false
                for await item in work {
                    switch item {
                    case .start(let job):
                        started += 1
                        group.addTask { await job() }
                    case .run(let job):
                        group.addTask { await job() }
                    case .end(let job):
                        group.addTask {
                            await job()
                            submitter.yield(.ended)
                        }
                    case .ended:
                        started -= 1
                    case .stop:
                        stopping = true
                    }
                    if stopping && started == 0 { break }
                }
                // Whatever is handed over from now on is refused (an opening: its connection is closed unserved).
                submitter.finish()
            }
        }
        await loop.value
    }
}
