/// Runs `body` while `service` (a server's `run()`) runs in a child task. Once `body` returns, the service is
/// cancelled (its graceful stop) and awaited, any failure but the cancellation thrown; when `body` throws, the
/// service is cancelled and awaited too, and `body`'s error is the one thrown. Either way nothing the service
/// started outlives the call.
func whileRunning<Result>(
    _ service: @escaping @Sendable () async throws -> Void,
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
        group.addTask { try await service() }
        let result: Result
        do {
            result = try await body()
        } catch {
            // The group awaits the cancelled service before this throws; a failure of its own is dropped.
            group.cancelAll()
            throw error
        }
        group.cancelAll()
        do {
            try await group.waitForAll()
        } catch is CancellationError {
            // What a service that stops by throwing says to the cancellation asked for here.
        }
        return result
    }
}
