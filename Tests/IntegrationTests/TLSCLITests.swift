import FastChatClient
import FastChatProtocol
import FastChatTLS
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// TLS as a user meets it: trust on first use, a changed server refused with exit code 4 before anything is sent,
/// certificates made with `fastchat cert`, plaintext only when both ends ask for it.
@Suite(.heavy, .timeLimit(.minutes(10))) struct TLSCLITests {
    /// The environment of a client that trusts on first use (no `FASTCHAT_CA`).
    private func firstUse(_ user: CLIUser) -> [String: String] {
        user.environment().filter { $0.key != "FASTCHAT_CA" }
    }

    @Test func firstUsePinsTheCAAndAChangedCAIsRefusedWithExit4() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let database = "sqlite:" + scratch.file("fastchat.db")
        let first = try await ServerProcess.start(database: database, in: scratch.url)
        var alice = CLIUser("alice", server: first, scratch: scratch)
        let signUp = try await FastChatCLI.run(
            ["signup", "--connect", alice.connect, "--user", "alice", "--kdf-log2n", "10"],
            environment: firstUse(alice), in: scratch.url)
        #expect(signUp.exitCode == 0, "\(signUp)")
        #expect(signUp.stderr.contains("on first use"), "\(signUp)")
        let pins = try String(contentsOfFile: alice.home + "/known_servers", encoding: .utf8)
        let pinned = try #require(pins.split(separator: "\n").first?.split(separator: " ").last.map(String.init))
        #expect(pins.hasPrefix("\(alice.connect) SHA256:"))

        // The same address, now served by a node with another cluster's CA (a new data directory, or an attacker).
        _ = try await first.stop()
        let otherDirectory = scratch.url.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: otherDirectory, withIntermediateDirectories: true)
        let second = try await ServerProcess.start(database: database, port: first.port, in: otherDirectory)
        defer { second.process.signal(SIGKILL) }
        let refused = try await FastChatCLI.run(
            ["send", "--connect", alice.connect, "--user", "alice", "--to", "alice", "never sent"],
            environment: firstUse(alice), in: scratch.url)
        #expect(refused.exitCode == 4, "\(refused)")
        let presented = ServerTrust.fingerprint(try second.tls.directory.authority(create: false).certificate)
        #expect(refused.stderr.contains(pinned) && refused.stderr.contains(presented), "\(refused)")
        #expect(second.logLines(containing: "Signed in").isEmpty, "the changed server saw no sign-in")

        // Trusting the new CA explicitly lets the user through (and the pin is not rewritten behind their back).
        alice.caFile = second.tls.caFile
        let explicit = try await alice.send("now trusted", to: "alice")
        #expect(explicit.exitCode == 0, "\(explicit)")
        #expect(try String(contentsOfFile: alice.home + "/known_servers", encoding: .utf8) == pins)
    }

    /// A server whose certificate the trusted CA did not issue gets nothing but the handshake: not one byte of
    /// application data.
    @Test func aServerOfAnotherCAReceivesNoFrame() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-nobytes-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let trusted = try TestTLS(path: directory.appendingPathComponent("trusted").path)
        let impostor = try TestTLS(path: directory.appendingPathComponent("impostor").path)
        let (received, receivedBytes) = AsyncStream.makeStream(of: Int.self)
        let context = try impostor.identity("s1").makeServerContext()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(ByteCounter(report: receivedBytes))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let endpoint = Endpoint(host: "127.0.0.1", port: server.localAddress!.port!)
        let error = await #expect(throws: ServerNotTrusted.self) {
            try await FrameConnection.open(to: endpoint, tls: trusted.clientTLS, answerTimeout: patience)
        }
        #expect(error?.description.contains("did not issue") == true)
        var iterator = received.makeAsyncIterator()
        #expect(await iterator.next() == 0, "the impostor read no application data before the connection closed")
    }

    @Test func certInitAndIssueMakeAClusterByHand() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.file("pki")
        let initialized = try await FastChatCLI.run(["cert", "init", "--dir", directory], in: scratch.url)
        #expect(initialized.exitCode == 0, "\(initialized)")
        let issued = try await FastChatCLI.run(
            ["cert", "issue", "--dir", directory, "--name", "s7", "--host", "127.0.0.1"], in: scratch.url)
        #expect(issued.exitCode == 0, "\(issued)")
        for key in ["ca.key", "s7.key"] {
            let mode = try FileManager.default.attributesOfItem(atPath: directory + "/" + key)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(key) is private")
        }
        let server = try await ServerProcess.start(
            database: "sqlite:" + scratch.file("fastchat.db"), name: "s7",
            extraArguments: ["--tls-cert", directory + "/s7.pem", "--tls-key", directory + "/s7.key", "--ca", directory + "/ca.pem"],
            in: scratch.url)
        defer { server.process.signal(SIGKILL) }
        var bob = CLIUser("bob", server: server, scratch: scratch)
        bob.caFile = directory + "/ca.pem"
        let signUp = try await bob.signUp()
        #expect(signUp.exitCode == 0, "\(signUp)")
        #expect(!FileManager.default.fileExists(atPath: bob.home + "/known_servers"), "a CA given explicitly pins nothing")

        // Issuing without a CA is a clear error.
        let noCA = try await FastChatCLI.run(
            ["cert", "issue", "--dir", scratch.file("empty"), "--name", "s1", "--host", "127.0.0.1"], in: scratch.url)
        #expect(noCA.exitCode == 1)
        #expect(noCA.stderr.contains("fastchat cert init"), "\(noCA)")
    }

    @Test func plaintextOnlyWhenBothEndsSayNoTLS() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let server = try await ServerProcess.start(
            database: "sqlite:" + scratch.file("fastchat.db"), extraArguments: ["--no-tls"], in: scratch.url)
        defer { server.process.signal(SIGKILL) }
        let carol = CLIUser("carol", server: server, scratch: scratch)
        let plain = try await carol.run("signup", ["--kdf-log2n", "10", "--no-tls"])
        #expect(plain.exitCode == 0, "\(plain)")
        let tls = try await carol.run("send", ["--to", "carol", "hello"])
        #expect(tls.exitCode == 3, "a TLS client does not fall back to plaintext: \(tls)")
        #expect(!FileManager.default.fileExists(atPath: server.tls.directory.url.path + "/s1.pem"))
    }
}

/// Counts the application bytes a TLS server reads and reports the total when the connection closes.
private final class ByteCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let report: AsyncStream<Int>.Continuation
    private var count = 0

    init(report: AsyncStream<Int>.Continuation) {
        self.report = report
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        count += unwrapInboundIn(data).readableBytes
    }

    func channelInactive(context: ChannelHandlerContext) {
        report.yield(count)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
