import FastChatClient
import FastChatCrypto
import FastChatServer
import FastChatStore
import Foundation
import Logging
import Testing

/// A real node on an ephemeral loopback port, on a fresh store (a SQLite file in a fresh temporary directory, or a
/// PostgreSQL database of its own); the directory also holds the clients' homes.
final class NodeHarness: Sendable {
    let directory: URL
    let database: TestDatabase
    let endpoint: Endpoint
    /// What this node (and its store) logged last, for a failing test to print.
    let logTail: LogTail
    private let node: ChatNode
    /// The node's own store: tests read what it holds, and write rows the way older releases did.
    let store: any ChatStore
    private let serving: Task<Void, any Error>

    var backend: Backend { database.backend }

    /// The SQLite file (only there on `.sqlite`): for the tests that inspect the raw file.
    var databasePath: String { directory.appendingPathComponent("fastchat.db").path }

    private init(
        directory: URL, database: TestDatabase, logTail: LogTail, node: ChatNode, store: any ChatStore,
        serving: Task<Void, any Error>
    ) {
        self.directory = directory
        self.database = database
        self.logTail = logTail
        self.node = node
        self.store = store
        self.serving = serving
        endpoint = Endpoint(host: "127.0.0.1", port: node.localAddress.port!)
    }

    /// For clients and stores that belong to no harness node.
    static let logger: Logger = {
        var logger = Logger(label: "test.client")
        logger.logLevel = ProcessInfo.processInfo.environment["FASTCHAT_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }()

    /// Starts a node on a fresh store of `backend`.
    static func start(
        on backend: Backend = .sqlite,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> NodeHarness {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fastchat-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            let database = try await TestDatabase.make(backend, in: directory)
            do {
                return try await start(directory: directory, database: database, configure: configure)
            } catch {
                try? await database.destroy()
                throw error
            }
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Starts a node on `database` (a PostgreSQL database made elsewhere), in a fresh directory. `remove()` destroys
    /// the database too.
    static func start(
        on database: TestDatabase,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> NodeHarness {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fastchat-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            return try await start(directory: directory, database: database, configure: configure)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Starts another node on `other`'s store and directory: a second node of a cluster, or the same node restarted
    /// after `stop()`.
    static func start(
        sharing other: NodeHarness,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> NodeHarness {
        try await start(directory: other.directory, database: other.database, configure: configure)
    }

    private static func start(
        directory: URL,
        database: TestDatabase,
        configure: (inout ServerConfiguration) -> Void
    ) async throws -> NodeHarness {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, nodeName: "t1")
        configure(&configuration)
        let logTail = LogTail()
        let logger = LogTailHandler.logger(label: "test.node.\(configuration.nodeName)", into: logTail)
        let store = try await database.open(logger: logger)
        let node: ChatNode
        do {
            node = try await ChatNode.bind(configuration: configuration, store: store, logger: logger)
        } catch {
            try? await store.close()
            throw error
        }
        let serving = Task { try await node.run() }
        return NodeHarness(
            directory: directory, database: database, logTail: logTail, node: node, store: store, serving: serving)
    }

    /// A client with its own home directory (its own "machine"); `via` another address (a proxy) than the node's.
    func client(home: String = UUID().uuidString, via proxy: Endpoint? = nil) -> ChatClient {
        ChatClient(
            options: .init(
                endpoint: proxy ?? endpoint,
                home: directory.appendingPathComponent("homes/\(home)", isDirectory: true),
                kdf: .fast,
                logger: Self.logger
            )
        )
    }

    /// Signs `username` up and returns a client signed in as them.
    func user(_ username: String, password: String = "correct horse") async throws -> ChatClient {
        let client = client(home: username)
        try await client.signUp(username: username, password: password)
        try await client.signIn(username: username, password: password)
        return client
    }

    /// Stops serving (connections are closed) but keeps the store and the files.
    func stop() async throws {
        serving.cancel()
        _ = try? await serving.value
        try await store.close()
    }

    /// Stops, then removes the store and the files.
    func remove() async throws {
        try await stop()
        try? await database.destroy()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` against a fresh node on `backend` and removes it afterwards, even when `body` fails.
func withNode(
    on backend: Backend = .sqlite,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: (NodeHarness) async throws -> Void
) async throws {
    let node = try await NodeHarness.start(on: backend, configure: configure)
    do {
        try await NodeLog.$tail.withValue({ node.logTail.text }) { try await body(node) }
    } catch {
        Issue.record("The node's log ends with:\n\(NodeLog.last(60, of: node.logTail.text))")
        try await node.remove()
        throw error
    }
    try await node.remove()
}

struct Disconnected: Error {
    var reason: String
}

extension ChatClient {
    /// Waits for the first event `match` accepts (earlier events are dropped).
    func next<T>(_ match: (ClientEvent) -> T?) async throws -> T {
        for await event in events {
            if let value = match(event) { return value }
            if case .disconnected(let reason) = event { throw Disconnected(reason: reason) }
        }
        throw Disconnected(reason: "the event stream ended")
    }

    /// The next message, acknowledged.
    func nextMessage() async throws -> ReceivedMessage {
        let message = try await next { event -> ReceivedMessage? in
            if case .message(let message) = event { return message }
            return nil
        }
        try await acknowledge(message)
        return message
    }

    /// Every message until `.synced`, acknowledged.
    func pendingMessages() async throws -> [ReceivedMessage] {
        var messages: [ReceivedMessage] = []
        for await event in events {
            switch event {
            case .message(let message):
                try await acknowledge(message)
                messages.append(message)
            case .synced:
                return messages
            case .disconnected(let reason):
                throw Disconnected(reason: reason)
            default:
                continue
            }
        }
        throw Disconnected(reason: "the event stream ended")
    }
}
