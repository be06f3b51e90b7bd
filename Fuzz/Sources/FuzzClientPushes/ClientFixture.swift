@testable import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation
import FuzzSupport
import Logging

/// A real `ChatClient` signed in as `me` to a `FakeNode`, and the identities of the peers whose validly sealed
/// messages the inputs push. Made once per fuzzing process.
final class ClientFixture: @unchecked Sendable {
    let alice: Identity
    let carol: Identity
    let node: ScriptedNode
    let home: URL
    let vocabulary = FuzzVocabulary(
        names: ["me", "alice", "carol", "nobody"], groups: ["team", "other"],
        ids: [Data(repeating: 1, count: 16), Data(repeating: 2, count: 16)])
    private(set) var client: ChatClient
    private var events: ClientEvents.Iterator
    /// Barriers pushed and not yet seen; see `PipelineWindow` for why they are awaited late.
    private var outstanding: [(marker: Int, acknowledging: Bool)] = []
    private let windowSize = PipelineWindow().size

    var me: Identity { node.me }

    private init(node: ScriptedNode, home: URL, alice: Identity, carol: Identity) {
        self.node = node
        self.alice = alice
        self.carol = carol
        self.home = home
        client = ChatClient(options: .init(endpoint: Endpoint(host: "127.0.0.1", port: 1), tls: nil, home: home))
        events = client.events.makeAsyncIterator()
    }

    static func make() async throws -> ClientFixture {
        let alice = Identity.generate()
        let carol = Identity.generate()
        let node = try await ScriptedNode.start(peers: ["alice": alice.publicIdentity, "carol": carol.publicIdentity])
        let home = FileManager.default.temporaryDirectory
            .appendingPathComponent("fastchat-fuzz-client-\(UUID().uuidString)", isDirectory: true)
        let fixture = ClientFixture(node: node, home: home, alice: alice, carol: carol)
        try await fixture.signIn()
        return fixture
    }

    func signIn() async throws {
        var logger = Logger(label: "fuzz.client")
        logger.logLevel = ProcessInfo.processInfo.environment["FASTCHAT_FUZZ_LOG"] == nil ? .critical : .debug
        client = ChatClient(
            options: .init(
                endpoint: Endpoint(host: "127.0.0.1", port: node.port), tls: nil, home: home, kdf: .fast, logger: logger))
        events = client.events.makeAsyncIterator()
        try await client.signIn(username: "me", password: ScriptedNode.password)
    }

    /// Records that `marker` was pushed and waits for the oldest barrier once more than the window's size are out.
    func synced(_ marker: Int, acknowledging: Bool) async throws {
        outstanding.append((marker, acknowledging))
        while outstanding.count > windowSize {
            let (oldest, acknowledging) = outstanding.removeFirst()
            try await waitForSynced(oldest, acknowledging: acknowledging)
        }
    }

    /// Waits until the client has handled everything pushed before `.synced(marker)`, acknowledging the messages
    /// and notices it hands over when the input says so, as a consumer would.
    private func waitForSynced(_ marker: Int, acknowledging: Bool) async throws {
        while let event = await events.next() {
            switch event {
            case .synced(let pending) where pending == marker:
                return
            case .message(let message) where acknowledging:
                try? await client.acknowledge(message)
            case .notice(let notice) where acknowledging:
                try? await client.acknowledge(notice)
            case .reconnected:
                // The client followed a pushed `Move` to a new connection; barriers pushed while it moved may have
                // gone to the connection it closed, and will never be seen.
                outstanding.removeAll()
                return
            case .disconnected, .connectionLost:
                outstanding.removeAll()
                try await signIn()
                return
            default:
                continue
            }
        }
    }

    /// Saved images pile up over millions of inputs, and every save looks for a free name among them.
    func clearDownloads() {
        try? FileManager.default.removeItem(at: home.appendingPathComponent("me/downloads", isDirectory: true))
    }
}
