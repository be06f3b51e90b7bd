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
/// directory also holds the clients' homes. It lives for the length of a `withNode` scope.
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
    /// Finished to ask the node to stop: its serving task then cancels `run()`.
    private let stopping: AsyncStream<Never>.Continuation
    /// Ends once the node has stopped, asked to or by itself (a drain).
    private let nodeEnded: Ending
    /// Finished to close the store, once the node has stopped.
    private let releasing: AsyncStream<Never>.Continuation
    /// Ends once the store is closed.
    private let storeEnded: Ending

    var backend: Backend { database.backend }

    /// The SQLite file (only there on `.sqlite`): for the tests that inspect the raw file.
    var databasePath: String { directory.appendingPathComponent("fastchat.db").path }

    private init(
        directory: URL, database: TestDatabase, tls: TestTLS, plaintext: Bool, logTail: LogTail, node: ChatNode,
        store: any ChatStore, stopping: AsyncStream<Never>.Continuation, nodeEnded: Ending,
        releasing: AsyncStream<Never>.Continuation, storeEnded: Ending
    ) {
        self.directory = directory
        self.database = database
        self.tls = tls
        self.plaintext = plaintext
        self.logTail = logTail
        self.node = node
        self.store = store
        self.stopping = stopping
        self.nodeEnded = nodeEnded
        self.releasing = releasing
        self.storeEnded = storeEnded
        endpoint = Endpoint(host: "127.0.0.1", port: node.localAddress.port!)
    }

    /// For clients and stores that belong to no harness node.
    static let logger: Logger = {
        var logger = Logger(label: "test.client")
        logger.logLevel = ProcessInfo.processInfo.environment["FASTCHAT_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }()

    /// Runs `body` with a node in a fresh temporary directory, on the storage `storage` makes (in that directory, or
    /// elsewhere); destroys the storage and removes the directory afterwards, even when `body` fails.
    fileprivate static func onFreshStorage(
        _ storage: (URL) async throws -> TestDatabase,
        plaintext: Bool,
        configure: (inout ServerConfiguration) -> Void,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (NodeHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fastchat-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await storage(directory)
        do {
            try await run(directory: directory, database: database, plaintext: plaintext, configure: configure, body)
        } catch {
            try? await database.destroy()
            throw error
        }
        try? await database.destroy()
    }

    /// Runs `body` with a node on `database` in `directory`. The store's scope and the node are child tasks of one
    /// group, so neither outlives this call: when `body` returns or throws, the node stops, then the store closes.
    fileprivate static func run(
        directory: URL,
        database: TestDatabase,
        plaintext: Bool,
        configure: (inout ServerConfiguration) -> Void,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (NodeHarness) async throws -> Void
    ) async throws {
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
        let (releases, releasing) = AsyncStream<Never>.makeStream()
        let (stops, stopping) = AsyncStream<Never>.makeStream()
        let nodeEnded = Ending()
        let storeEnded = Ending()
        try await withThrowingDiscardingTaskGroup { group in
            // The store's scope is a child of its own, closed only once the node has stopped: the node still
            // writes to the store while it stops (deregistering, closing sessions), and PostgreSQL's pool must not
            // end under it. So `stop()` asks the node first and the store after, never by cancelling both.
            let (opened, opening) = AsyncThrowingStream.makeStream(of: (any ChatStore).self)
            group.addTask {
                do {
                    try await database.withStore(logger: logger) { store in
                        opening.yield(store)
                        for await _ in releases {}
                    }
                    opening.finish()
                } catch {
                    opening.finish(throwing: error)
                }
                await storeEnded.end()
            }
            let store: any ChatStore
            let node: ChatNode
            do {
                guard let first = try await opened.first(where: { _ in true }) else { throw CancellationError() }
                store = first
                node = try await ChatNode.bind(configuration: configuration, store: store, logger: logger)
            } catch {
                releasing.finish()
                throw error
            }
            group.addTask {
                // The node serves until `stop()` asks, or until it stops by itself (a drain).
                await withTaskGroup(of: Void.self) { serving in
                    serving.addTask { _ = try? await node.run() }
                    serving.addTask { for await _ in stops {} }
                    await serving.next()
                    serving.cancelAll()
                }
                await nodeEnded.end()
            }
            let harness = NodeHarness(
                directory: directory, database: database, tls: tls, plaintext: plaintext, logTail: logTail,
                node: node, store: store, stopping: stopping, nodeEnded: nodeEnded, releasing: releasing,
                storeEnded: storeEnded)
            do {
                try await body(harness)
            } catch {
                await harness.stop()
                throw error
            }
            await harness.stop()
        }
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
        await nodeEnded.wait()
    }

    /// Stops serving (connections are closed), then closes the store, but keeps the storage and the files: for a
    /// test that restarts a node on them (`withNode(sharing:)`). The node's scope does it anyway when it ends.
    func stop() async {
        stopping.finish()
        await nodeEnded.wait()
        releasing.finish()
        await storeEnded.wait()
    }
}

/// Runs `body` against a fresh node on `backend` and removes it afterwards, even when `body` fails.
func withNode(
    on backend: Backend = .sqlite,
    plaintext: Bool = false,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    isolation: isolated (any Actor)? = #isolation,
    _ body: (NodeHarness) async throws -> Void
) async throws {
    try await NodeHarness.onFreshStorage(
        { try await TestDatabase.make(backend, in: $0) }, plaintext: plaintext, configure: configure
    ) { node in
        do {
            try await NodeLog.$tail.withValue({ node.logTail.text }) { try await body(node) }
        } catch {
            Issue.record("The node's log ends with:\n\(NodeLog.last(60, of: node.logTail.text))")
            throw error
        }
    }
}

/// Runs `body` against a node on `database` (a PostgreSQL database made elsewhere), in a fresh directory; destroys
/// the database afterwards, even when `body` fails.
func withNode(
    on database: TestDatabase,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    isolation: isolated (any Actor)? = #isolation,
    _ body: (NodeHarness) async throws -> Void
) async throws {
    try await NodeHarness.onFreshStorage({ _ in database }, plaintext: false, configure: configure, body)
}

/// Runs `body` against another node on `other`'s store and directory (a second node of a cluster, or the same node
/// restarted after `stop()`), stopped when `body` returns or throws; `other`'s scope removes the storage and files.
func withNode(
    sharing other: NodeHarness,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    isolation: isolated (any Actor)? = #isolation,
    _ body: (NodeHarness) async throws -> Void
) async throws {
    try await NodeHarness.run(
        directory: other.directory, database: other.database, plaintext: other.plaintext, configure: configure, body)
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
        let me = try #require(username)
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
