/// What `/health` answers: healthy, or the one-line reason it is not.
public enum Health: Sendable, Equatable {
    case healthy
    case unhealthy(String)

    /// Runs `check` for at most `limit`: one that has not answered by then is unhealthy, whatever it says later.
    /// `check` returns nil when healthy, else the reason.
    public static func probe(
        within limit: Duration, _ check: @escaping @Sendable () async throws -> String?
    ) async -> Health {
        await withTaskGroup(of: Health?.self) { group in
            group.addTask {
                do {
                    return try await check().map(Health.unhealthy) ?? .healthy
                } catch {
                    return .unhealthy("the store does not answer: \(String(describing: error).oneLine)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return Task.isCancelled ? nil : .unhealthy("the store did not answer within \(limit)")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .unhealthy("the health check was cancelled")
        }
    }
}

extension String {
    /// The first line, at most 200 characters: a reason fit for a one-line answer.
    var oneLine: String {
        let line = split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}
