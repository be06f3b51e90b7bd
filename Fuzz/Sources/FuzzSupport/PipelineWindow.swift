import Foundation

/// Lets the inputs' round trips overlap. A node or client round trip costs a handful of thread hops, which on a
/// busy machine take milliseconds each; waiting for every input's own answer limited the node target to about 30
/// inputs a second. Each input's answer is awaited `size` inputs later instead, so at most `size` inputs are in
/// flight, a hang still stops the run (libFuzzer's -timeout), and memory stays bounded. The price: coverage and
/// crashes may be charged to an input up to `size` later, so a crash is reproduced with FASTCHAT_FUZZ_WINDOW=1
/// on the last inputs, and the regression test is written from the stack trace.
public final class PipelineWindow: @unchecked Sendable {
    public let size: Int
    // Only touched from inside `blocking`, one input at a time. Each stream finishes when its work has ended.
    private var pending: [AsyncStream<Never>] = []

    public init() {
        size = max(1, ProcessInfo.processInfo.environment["FASTCHAT_FUZZ_WINDOW"].flatMap { Int($0) } ?? 16)
    }

    /// Starts `work` (a child task of the process's group, `FuzzTasks`) and, when more than `size` are in flight,
    /// waits for the oldest.
    public func add(_ work: @escaping @Sendable () async -> Void) async {
        let (ended, ending) = AsyncStream<Never>.makeStream()
        FuzzTasks.shared.run {
            await work()
            ending.finish()
        }
        pending.append(ended)
        while pending.count > size {
            for await _ in pending.removeFirst() {}
        }
    }
}
