import FastChatClient
import FastChatCrypto
import FastChatServer
import FastChatStore
import FastChatTLS
import Foundation
import Logging
import Testing

/// A real node on an ephemeral loopback port, on a fresh store (a SQLite file in a fresh temporary directory, or a
/// PostgreSQL database of its own), serving TLS with a certificate of the directory's own cluster CA; the
/// directory also holds the clients' homes.
final class NodeHarness: Sendable {
    let directory: URL
    let database: TestDatabase
    let endpoint: Endpoint
    /// The cluster CA in `<directory>/tls`: nodes sharing the directory share it.
    let tls: TestTLS
    /// The node serves plaintext (`--no-tls`): for what an attacker on the wire sees and replays.
    let plaintext: Bool
    /// How clients verify this node; nil when it serves plaintext.
    var clientTLS: ClientTLS? { plaintext ? nil : tls.clientTLS }
    /// What this node (and its store) logged last, for a failing test to print.
    let logTail: LogTail
    private let node: ChatNode
    /// The node itself: for what a process wires around it (its metrics endpoint, health check).
    var chatNode: ChatNode { node }
    /// The node's own count of the most bytes one connection had queued.
    var peakOutboundBytes: Int { node.peakOutboundBytes }
    /// The node's own store: tests read what it holds, and write rows the way older releases did.
    let store: any ChatStore
    private let serving: Task<Void, any Error>
    /// Holds the store open until `stop()`, after the node has stopped.
    private let keeping: Task<Void, Never>

    var backend: Backend { database.backend }

    /// The SQLite file (only there on `.sqlite`): for the tests that inspect the raw file.
    var databasePath: String { directory.appendingPathComponent("fastchat.db").path }

    private init(
        directory: URL, database: TestDatabase, tls: TestTLS, plaintext: Bool, logTail: LogTail, node: ChatNode,
        store: any ChatStore, serving: Task<Void, any Error>, keeping: Task<Void, Never>
    ) {
        self.directory = directory
        self.database = database
        self.tls = tls
        self.plaintext = plaintext
        self.logTail = logTail
        self.node = node
        self.store = store
        self.serving = serving
        self.keeping = keeping
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
        plaintext: Bool = false,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> NodeHarness {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fastchat-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            let database = try await TestDatabase.make(backend, in: directory)
            do {
                return try await start(
                    directory: directory, database: database, plaintext: plaintext, configure: configure)
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
            return try await start(directory: directory, database: database, plaintext: false, configure: configure)
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
        try await start(
            directory: other.directory, database: other.database, plaintext: other.plaintext, configure: configure)
    }

    private static func start(
        directory: URL,
        database: TestDatabase,
        plaintext: Bool,
        configure: (inout ServerConfiguration) -> Void
    ) async throws -> NodeHarness {
        let tls = try TestTLS(in: directory)
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, nodeName: "t1", tls: nil)
        // A busy machine may take seconds to start serving an accepted connection: only the tests of these
        // deadlines (which set their own) meet them.
        configuration.firstFrameTimeout = patience
        configuration.idleTimeout = patience
        configure(&configuration)
        configuration.tls = plaintext ? nil : try tls.identity(configuration.nodeName)
        let logTail = LogTail()
        let logger = LogTailHandler.logger(label: "test.node.\(configuration.nodeName)", into: logTail)
        // The store's scope is a task of its own that outlives the node's: stopping the node cancels its task, and
        // the node still writes to the store while it stops (deregistering, closing sessions). Cancelled together,
        // PostgreSQL's pool would end under it.
        let (opened, opening) = AsyncThrowingStream.makeStream(of: (any ChatStore).self)
        let keeping = Task {
            do {
                try await database.withStore(logger: logger) { store in
                    opening.yield(store)
                    await untilCancelled()
                }
                opening.finish()
            } catch {
                opening.finish(throwing: error)
            }
        }
        guard let store = try await opened.first(where: { _ in true }) else {
            keeping.cancel()
            throw CancellationError()
        }
        let node: ChatNode
        do {
            node = try await ChatNode.bind(configuration: configuration, store: store, logger: logger)
        } catch {
            keeping.cancel()
            await keeping.value
            throw error
        }
        let serving = Task { try await node.run() }
        return NodeHarness(
            directory: directory, database: database, tls: tls, plaintext: plaintext, logTail: logTail, node: node,
            store: store,
            serving: serving, keeping: keeping)
    }

    /// A client with its own home directory (its own "machine"); `via` another address (a proxy) than the node's.
    func client(home: String = UUID().uuidString, via proxy: Endpoint? = nil) -> ChatClient {
        ChatClient(
            options: .init(
                endpoint: proxy ?? endpoint,
                tls: clientTLS,
                home: directory.appendingPathComponent("homes/\(home)", isDirectory: true),
                kdf: .fast,
                logger: Self.logger,
                answerTimeout: patience
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

    /// How many blobs (encrypted images) the store holds.
    func blobCount() async throws -> Int {
        try await database.count("SELECT COUNT(*) FROM blobs")
    }

    /// Returns once the node has stopped by itself (a drain), however long that takes: the caller bounds it.
    func stopped() async {
        _ = try? await serving.value
    }

    /// Stops serving (connections are closed), then closes the store, but keeps the storage and the files.
    func stop() async throws {
        serving.cancel()
        _ = try? await serving.value
        keeping.cancel()
        await keeping.value
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
    plaintext: Bool = false,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: (NodeHarness) async throws -> Void
) async throws {
    let node = try await NodeHarness.start(on: backend, plaintext: plaintext, configure: configure)
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
    /// Waits for the first event `match` accepts (earlier events are dropped), for at most `limit`.
    func next<T: Sendable>(
        within limit: Duration = patience, _ match: @escaping @Sendable (ClientEvent) -> T?
    ) async throws -> T {
        let events = self.events
        return try await within(limit, "an awaited client event arrives") {
            for await event in events {
                if let value = match(event) { return value }
                if case .disconnected(let reason) = event { throw Disconnected(reason: reason) }
            }
            throw Disconnected(reason: "the event stream ended")
        }
    }

    /// Sends a note to itself and says what arrives first: "own note", or "other message" / "forged delivery" when
    /// something else (that should never have been delivered) came before it.
    func firstArrivalAfterANoteToSelf() async throws -> String {
        let me = try #require(await username)
        let id = try await send("to myself", to: me)
        return try await next { event -> String? in
            switch event {
            case .message(let message): message.id == id ? "own note" : "other message"
            case .rejected: "forged delivery"
            default: nil
            }
        }
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

/// Returns once the current task is cancelled.
private func untilCancelled() async {
    let (never, keep) = AsyncStream<Never>.makeStream()
    for await _ in never {}
    withExtendedLifetime(keep) {}
}
