import FastChatStore

/// Stores that stay open for the rest of a scope rather than for one closure: the contract cases open stores as they
/// go (a second node, a reopen after a close), which nested closures would bury. Each store's `withStore` runs in a
/// child task of `withScopedStores`, so every store (and, for PostgreSQL, its pool) ends when the scope does.
struct ScopedStores: Sendable {
    /// Opens a store and runs the body with it; the store ends when the body returns.
    typealias Opener = @Sendable (_ body: (any ChatStore) async throws -> Void) async throws -> Void

    fileprivate let requests: AsyncStream<Request>.Continuation

    /// A store `opener` opened, open until the end of the scope.
    func open(_ opener: @escaping Opener) async throws -> any ChatStore {
        try await withCheckedThrowingContinuation { reply in
            if case .terminated = requests.yield(Request(opener: opener, reply: reply)) {
                reply.resume(throwing: CancellationError())
            }
        }
    }

    fileprivate struct Request: Sendable {
        let opener: Opener
        let reply: CheckedContinuation<any ChatStore, any Error>

        /// Hands the store out, then holds it open until the scope cancels this task.
        func serve() async {
            var handed = false
            do {
                try await opener { store in
                    handed = true
                    reply.resume(returning: store)
                    await untilCancelled()
                }
            } catch {
                // After the store was handed out, only its closing can fail: the case is over by then.
                if !handed { reply.resume(throwing: error) }
            }
        }
    }
}

/// Runs `body` with a `ScopedStores`; every store it opened is closed before this returns, also when `body` throws.
func withScopedStores<Result>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (ScopedStores) async throws -> Result
) async throws -> Result {
    let (requests, continuation) = AsyncStream.makeStream(of: ScopedStores.Request.self)
    return try await withThrowingDiscardingTaskGroup(returning: Result.self) { group in
        group.addTask {
            await withDiscardingTaskGroup { stores in
                for await request in requests {
                    stores.addTask { await request.serve() }
                }
            }
        }
        defer { continuation.finish() }
        let result = try await body(ScopedStores(requests: continuation))
        group.cancelAll()
        return result
    }
}

/// Returns once the current task is cancelled.
private func untilCancelled() async {
    let (never, keep) = AsyncStream<Never>.makeStream()
    for await _ in never {}
    withExtendedLifetime(keep) {}
}
