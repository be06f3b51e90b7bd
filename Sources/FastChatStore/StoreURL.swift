import Logging

/// Where a node keeps its state: the value of `--database`.
public enum StoreURL: Sendable, Hashable {
    /// A SQLite file, relative to the working directory or absolute. Missing parent directories are
    /// created when the store is opened.
    case sqlite(path: String)
    /// A PostgreSQL connection URL, kept verbatim.
    case postgres(String)

    /// Accepts `sqlite:PATH` (also `sqlite://PATH`, so `sqlite:///abs/path` is absolute) and
    /// `postgres://…` / `postgresql://…`. Anything else throws `StoreError.unsupportedURL`.
    public init(parsing text: String) throws {
        if let rest = text.dropPrefix("sqlite:") {
            let path = rest.dropPrefix("//") ?? rest
            guard !path.isEmpty else {
                throw StoreError.unsupportedURL(
                    "The database URL \"\(text)\" has no file path: use sqlite:PATH, for example sqlite:./fastchat-data/fastchat.db.")
            }
            self = .sqlite(path: String(path))
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(text)
        } else {
            throw StoreError.unsupportedURL(
                "\"\(text)\" is not a supported database URL: use sqlite:PATH or postgres://USER@HOST/DATABASE.")
        }
    }
}

extension StoreURL {
    /// The SQLite file's path; nil for PostgreSQL.
    public var sqliteFile: String? {
        if case .sqlite(let path) = self { return path }
        return nil
    }
}

extension StoreURL: CustomStringConvertible {
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        // The URL may carry a password, which has no place in logs.
        case .postgres: "postgres://…"
        }
    }
}

/// Opens the store `url` names, running its migrations, and runs `body` with it; the store is closed (and, for
/// PostgreSQL, its connection pool ended) when `body` returns or throws.
public func withStore<Result>(
    _ url: StoreURL,
    logger: Logger,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (any ChatStore) async throws -> Result
) async throws -> Result {
    switch url {
    case .sqlite(let path):
        try await SQLiteStore.withStore(path: path, logger: logger) { try await body($0) }
    case .postgres(let url):
        try await PostgresStore.withStore(url: url, logger: logger) { try await body($0) }
    }
}

extension StringProtocol {
    fileprivate func dropPrefix(_ prefix: String) -> SubSequence? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}
