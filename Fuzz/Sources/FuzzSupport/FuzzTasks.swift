/// The fuzzing process's one task group, which every piece of async work the harness runs is a child task of: each
/// input's work (`blocking`), the round trips in flight (`PipelineWindow`), and the fixtures' long-lived loops (a
/// node's `run()`, a client's event loop).
///
/// libFuzzer owns the program's `main` and calls a target's entry point synchronously, so the async world can only be
/// entered from synchronous code by starting a task: that is `root`, started once and owned here, and it is the only
/// task the harness starts outside a group. It runs until the process ends, which libFuzzer does by `exit()`: there is
/// no later point at which the group could be awaited.
public final class FuzzTasks: Sendable {
    public static let shared = FuzzTasks()

    private let work: AsyncStream<@Sendable () async -> Void>.Continuation
    private let root: Task<Void, Never>

    private init() {
        let (stream, continuation) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        work = continuation
        root = Task.detached {
            await withDiscardingTaskGroup { group in
                for await each in stream {
                    group.addTask { await each() }
                }
            }
        }
    }

    /// Runs `body` as a child task of the process's group; callable from synchronous code (the stream is the
    /// hand-over). What `body` must report, it reports itself.
    public func run(_ body: @escaping @Sendable () async -> Void) {
        work.yield(body)
    }
}
