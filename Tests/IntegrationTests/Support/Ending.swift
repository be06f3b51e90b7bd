/// Something that ends once (a node's run, a store's scope), which any number of tasks wait for, before or after it
/// ends. A waiter that is cancelled stops waiting: a `within` that runs out is never held up by it.
actor Ending {
    private var ended = false
    private var waiters: [AsyncStream<Never>.Continuation] = []

    func end() {
        ended = true
        for waiter in waiters { waiter.finish() }
        waiters = []
    }

    /// Returns once `end()` has been called, or the caller is cancelled.
    nonisolated func wait() async {
        guard let ending = await waiter() else { return }
        for await _ in ending {}
    }

    /// A stream that finishes at the end (iterating an `AsyncStream` returns when its task is cancelled); nil when
    /// it has ended already.
    private func waiter() -> AsyncStream<Never>? {
        guard !ended else { return nil }
        let (stream, continuation) = AsyncStream<Never>.makeStream()
        waiters.append(continuation)
        return stream
    }
}
