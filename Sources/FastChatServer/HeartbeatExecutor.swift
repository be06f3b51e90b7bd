import NIOCore
import NIOPosix

/// A thread of the heartbeat's own. Message work fills the cooperative pool on a saturated node; a heartbeat queued
/// behind it arrives late, and the other nodes take a busy node for dead (clearing its sessions). Tasks that prefer
/// this executor run their nonisolated code here, and resume here after each wait (a sleep, a store call).
final class HeartbeatExecutor: TaskExecutor {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let loop: any EventLoop

    init() {
        loop = group.next()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func shutdown() async {
        try? await group.shutdownGracefully()
    }
}
