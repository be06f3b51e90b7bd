import NIOCore
import NIOPosix

/// A thread of its own, for work that must neither wait behind the cooperative pool nor block it: a task that
/// prefers this executor (`withTaskExecutorPreference`) runs its nonisolated code here, and resumes here after each
/// wait. A node's heartbeat runs on one; a SQLite store's commit stages on another (`SQLiteStore.writerThread`),
/// where they write synchronously.
public final class ThreadExecutor: TaskExecutor {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let loop: any EventLoop

    public init() {
        loop = group.next()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Whether the caller runs on this thread.
    public var isCurrent: Bool { loop.inEventLoop }

    public func shutdown() async {
        try? await group.shutdownGracefully()
    }
}
