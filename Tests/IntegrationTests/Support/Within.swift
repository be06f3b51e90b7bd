/// A wait that ran out: names what was awaited.
struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// `body`'s result, or a failure naming `what` after `timeout` (the body is cancelled): a lost event fails its test
/// with a sentence instead of hanging the run until the suite's time limit.
func within<T: Sendable>(
    _ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimedOut(description: "Timed out after \(timeout) waiting until \(what).")
        }
        return value
    }
}
