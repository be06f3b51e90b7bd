import Foundation
import PostgresNIO

/// Runs `PostgresStatements` on one connection leased from the pool (or opened for migrating).
struct PostgresRunner {
    let connection: PostgresConnection
    let logger: Logger

    /// The rows the statement returned, all collected.
    @discardableResult
    func rows(_ sql: String, _ binds: [any PostgresThrowingDynamicTypeEncodable] = []) async throws -> [PostgresRow] {
        try await connection.query(PostgresQuery(sql, binds), logger: logger).collect()
    }

    /// How many rows the statement returned (for statements that return one per change).
    func count(_ sql: String, _ binds: [any PostgresThrowingDynamicTypeEncodable] = []) async throws -> Int {
        try await rows(sql, binds).count
    }

    /// Runs `body` between BEGIN and COMMIT, rolling back (and rethrowing the body's own error) if it throws.
    func transaction<Result>(_ body: (PostgresRunner) async throws -> Result) async throws -> Result {
        try await rows(PostgresStatements.begin)
        do {
            let result = try await body(self)
            try await rows(PostgresStatements.commit)
            return result
        } catch {
            // Fails harmlessly if COMMIT itself failed (the transaction is over) or the connection is gone.
            _ = try? await rows(PostgresStatements.rollback)
            throw error
        }
    }

    /// Takes a lock held until the transaction ends.
    func lock(_ key: Int64) async throws {
        try await rows(PostgresStatements.advisoryTransactionLock, [key])
    }

    // MARK: Errors

    /// A deadlock or serialization failure: the server rolled the transaction back and it may simply be retried.
    static func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// The user-facing cause of an error, without the final period. `PSQLError` hides everything in its description
    /// (it may hold query parameters), so this picks out the server's message or the network error.
    static func reason(_ error: any Error) -> String {
        var text: String
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                text = message
            } else if let underlying = error.underlying as? NIOConnectionError {
                if let first = underlying.connectionErrors.first {
                    text = (first.error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(first.error)"
                } else if underlying.dnsAError != nil || underlying.dnsAAAAError != nil {
                    text = "the host \(underlying.host) cannot be resolved"
                } else {
                    text = "\(underlying.host):\(underlying.port) cannot be reached"
                }
            } else if let underlying = error.underlying as? IOError {
                text = String(cString: strerror(underlying.errnoCode))
            } else if let underlying = error.underlying {
                text = "\(underlying)"
            } else {
                text = "\(error.code)"
            }
        } else {
            text = "\(error)"
        }
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
