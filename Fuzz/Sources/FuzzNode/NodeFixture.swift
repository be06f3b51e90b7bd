@testable import FastChatClient
import FastChatCrypto
import FastChatProtocol
import FastChatServer
import FastChatStore
import Foundation
import FuzzSupport
import Logging

/// A real node serving a SQLite store in a temporary directory, with two real accounts and a group, made once per
/// fuzzing process. `fuzz` is the account the inputs speak for; `bob` is signed in on his own connection, so what
/// `fuzz` sends him is stored, routed and pushed to a real client, which opens (and rejects) it.
final class NodeFixture: @unchecked Sendable {
    static let password = "fuzz password"
    static let groupPassword = "group password"
    /// A registered node the inputs may speak for on a node link.
    static let peerNode = "fuzzpeer"

    let directory: URL
    let store: SQLiteStore
    let node: ChatNode
    let endpoint: Endpoint
    let vocabulary: FuzzVocabulary
    /// Keeps Bob signed in; his events are drained and acknowledged so they do not pile up.
    let bob: ChatClient
    private(set) var fuzz: ChatClient

    private init(directory: URL, store: SQLiteStore, node: ChatNode, bob: ChatClient, fuzz: ChatClient) {
        self.directory = directory
        self.store = store
        self.node = node
        self.bob = bob
        self.fuzz = fuzz
        endpoint = Endpoint(host: "127.0.0.1", port: node.localAddress.port!)
        vocabulary = FuzzVocabulary(
            names: ["fuzz", "bob", "nobody", Self.peerNode], groups: ["team", "bobs", "nogroup"],
            ids: [Data(repeating: 1, count: 16), Data(repeating: 2, count: 16)])
    }

    static func make() async throws -> NodeFixture {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fastchat-fuzz-node-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "fuzz.node")
        logger.logLevel = ProcessInfo.processInfo.environment["FASTCHAT_FUZZ_LOG"] == nil ? .critical : .debug
        let store = try SQLiteStore(path: directory.appendingPathComponent("fastchat.db").path, logger: logger)
        let unlimited = AuthRate(burst: 1 << 30, perMinute: 1 << 30)
        let configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, nodeName: "fuzznode", maxFailedSignIns: 10,
            deadAfter: .seconds(24 * 3600), authLimits: AuthLimits(perAddress: unlimited, perAccount: unlimited),
            // Plaintext: the fuzzer aims at request handling, and a handshake per input would only slow it.
            tls: nil)
        let node = try await ChatNode.bind(configuration: configuration, store: store, logger: logger)
        // Serves for the rest of the process, in the process's task group.
        FuzzTasks.shared.run { try? await node.run() }
        let endpoint = Endpoint(host: "127.0.0.1", port: node.localAddress.port!)
        try await registerPeer(in: store)

        let bob = client(endpoint, directory, logger)
        try await bob.signUp(username: "bob", password: password)
        try await bob.signIn(username: "bob", password: password)
        try await bob.createGroup("bobs", password: groupPassword)
        drain(bob)
        let fuzz = client(endpoint, directory, logger)
        try await fuzz.signUp(username: "fuzz", password: password)
        try await fuzz.signIn(username: "fuzz", password: password)
        try await fuzz.createGroup("team", password: groupPassword)
        try await bob.joinGroup("team", password: groupPassword)
        drain(fuzz)
        return NodeFixture(directory: directory, store: store, node: node, bob: bob, fuzz: fuzz)
    }

    /// The fuzz account's live connection; a new sign-in when the last input ended it (too many wrong passwords,
    /// a frame the node refused).
    func connection() async throws -> FrameConnection {
        if let connection = await fuzz.connection, await !connection.isClosed, await fuzz.username != nil {
            return connection
        }
        var logger = Logger(label: "fuzz.client")
        logger.logLevel = .critical
        for _ in 0..<200 {
            let client = Self.client(endpoint, directory, logger)
            do {
                try await client.signIn(username: "fuzz", password: Self.password)
                fuzz = client
                Self.drain(client)
                return await client.connection!
            } catch let error as ProtocolError where error.code == .alreadyLoggedIn {
                // The node has not yet closed the session of the connection that just ended.
                await client.signOut()
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        fatalError("The fuzz account could not sign in again")
    }

    /// Keeps the peer node's registration fresh, so a node link from it is accepted.
    static func registerPeer(in store: SQLiteStore) async throws {
        let now = Date()
        try await store.registerNode(
            NodeRecord(name: peerNode, address: "127.0.0.1:1", pid: 1, connections: 0, startedAt: now, heartbeatAt: now))
    }

    private static func client(_ endpoint: Endpoint, _ directory: URL, _ logger: Logger) -> ChatClient {
        ChatClient(
            options: .init(
                endpoint: endpoint, tls: nil, home: directory.appendingPathComponent("homes", isDirectory: true),
                kdf: .fast, logger: logger))
    }

    /// Consumes a client's events and acknowledges what it hands over, as a user's client does: unacknowledged
    /// notices and messages would stay in the mailbox, be remembered by the node, and come again at every sign-in,
    /// so a long run would slow down and grow.
    private static func drain(_ client: ChatClient) {
        let events = client.events
        // Weak: a replaced client must not be kept alive by its own event loop. A child task of the process's
        // group; it ends with the client's event stream.
        FuzzTasks.shared.run { [weak client] in
            for await event in events {
                guard let client else { return }
                switch event {
                case .message(let message): try? await client.acknowledge(message)
                case .notice(let notice): try? await client.acknowledge(notice)
                default: continue
                }
            }
        }
    }
}
