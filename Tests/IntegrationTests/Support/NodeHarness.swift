import FastChatClient
import FastChatCrypto
import FastChatServer
import FastChatStore
import Foundation
import Logging

/// A real node on an ephemeral loopback port, with its SQLite file in a fresh temporary directory.
final class NodeHarness: Sendable {
    let directory: URL
    let endpoint: Endpoint
    private let node: ChatNode
    private let store: SQLiteStore
    private let serving: Task<Void, any Error>

    var databasePath: String { directory.appendingPathComponent("fastchat.db").path }

    private init(directory: URL, node: ChatNode, store: SQLiteStore, serving: Task<Void, any Error>) {
        self.directory = directory
        self.node = node
        self.store = store
        self.serving = serving
        endpoint = Endpoint(host: "127.0.0.1", port: node.localAddress.port!)
    }

    static let logger: Logger = {
        var logger = Logger(label: "test.node")
        logger.logLevel = ProcessInfo.processInfo.environment["FASTCHAT_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }()

    /// Starts a node; pass `directory` to reopen the files of an earlier one.
    static func start(in directory: URL? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> NodeHarness {
        let directory = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("fastchat-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: directory.appendingPathComponent("fastchat.db").path, logger: logger)
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, nodeName: "t1", authHashParameters: .fast)
        configure(&configuration)
        let node = try await ChatNode.bind(configuration: configuration, store: store, logger: logger)
        let serving = Task { try await node.run() }
        return NodeHarness(directory: directory, node: node, store: store, serving: serving)
    }

    /// A client with its own home directory (its own "machine").
    func client(home: String = UUID().uuidString) -> ChatClient {
        ChatClient(
            options: .init(
                endpoint: endpoint,
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

    /// Stops serving (connections are closed) but keeps the files.
    func stop() async throws {
        serving.cancel()
        _ = try? await serving.value
        try await store.close()
    }

    /// Stops and removes the files.
    func remove() async throws {
        try await stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` against a fresh node and removes it afterwards, even when `body` fails.
func withNode(
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: (NodeHarness) async throws -> Void
) async throws {
    let node = try await NodeHarness.start(configure: configure)
    do {
        try await body(node)
    } catch {
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
