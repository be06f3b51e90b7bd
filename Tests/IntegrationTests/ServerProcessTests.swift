import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `fastchat server` as an operator runs it (issue 2, items 5 and 7): a separate OS process that can be killed with
/// SIGKILL, stopped with SIGTERM/SIGINT, and restarted on the same SQLite file — and that refuses a bad `--database`
/// with one sentence instead of a crash.
@Suite("Server process", .heavy, .serialized, .timeLimit(.minutes(10)))
struct ServerProcessTests {
    @Test("A message sent while the recipient is offline survives kill -9 of the server and arrives exactly once")
    func pendingMessageSurvivesSIGKILL() async throws {
        let scratch = try Scratch("fastchat-server")
        defer { scratch.remove() }
        let database = "sqlite:" + scratch.file("fc.db")

        let first = try await ServerProcess.start(database: database, in: scratch.url)
        let alice = try await signedUp("alice", server: first, scratch: scratch)
        var bob = try await signedUp("bob", server: first, scratch: scratch)
        var carol = try await signedUp("carol", server: first, scratch: scratch)

        var ids: [String] = []
        for text in ["before the crash 1", "before the crash 2 ✓", "before the crash 3"] {
            let sent = try await alice.send(text, to: "bob")
            #expect(sent.exitCode == 0, "\(sent)")
            ids.append(try #require(sentID(in: sent)))
        }
        // Carol is signed in when the node dies, so the store still records her session on s1.
        let before = first.logLines(containing: "Signed in", "carol").count
        let carolWaiting = try carol.start("receive", ["--wait", "3600"])
        try await first.waitForLog(["Signed in", "carol"], moreThan: before)

        await first.kill9()
        let killed = try await first.process.waitForExit()
        #expect(killed.signaled && killed.status == SIGKILL, "\(killed)")
        #expect(!killed.stderr.contains("stopped"), "no graceful shutdown happened: \(killed.stderr)")

        // The client notices the dead server: exit 3 with one sentence, not a hang.
        let carolResult = try await carolWaiting.waitForExit()
        #expect(carolResult.exitCode == 3, "\(carolResult)")
        expectOneSentence(carolResult)

        let second = try await ServerProcess.start(database: database, in: scratch.url)
        defer { second.process.signal(SIGKILL) }
        bob.connect = second.address
        carol.connect = second.address

        let received = try await bob.receive()
        #expect(received.exitCode == 0, "\(received)")
        let messages = try messages(in: received)
        #expect(messages.map(\.text) == ["before the crash 1", "before the crash 2 ✓", "before the crash 3"])
        #expect(messages.map(\.id) == ids)
        let again = try await bob.receive()
        #expect(again.exitCode == 0 && again.stdout.isEmpty, "exactly once: \(again)")

        // The session carol held on the dead node was cleared by the restart: she is not "already logged in".
        let carolAgain = try await carol.receive()
        #expect(carolAgain.exitCode == 0, "\(carolAgain)")

        let stopped = try await second.stop()
        #expect(stopped.exitCode == 0, "\(stopped)")
    }

    @Test(
        "SIGTERM and SIGINT stop the server cleanly: exit 0, a log line, and accepted messages kept",
        arguments: [SIGTERM, SIGINT]
    )
    func gracefulShutdown(signal: Int32) async throws {
        let scratch = try Scratch("fastchat-server")
        defer { scratch.remove() }
        let database = "sqlite:" + scratch.file("fc.db")

        let first = try await ServerProcess.start(database: database, in: scratch.url)
        let alice = try await signedUp("alice", server: first, scratch: scratch)
        var bob = try await signedUp("bob", server: first, scratch: scratch)
        let carol = try await signedUp("carol", server: first, scratch: scratch)

        // A client is connected while the server shuts down; it must not keep the server alive.
        let before = first.logLines(containing: "Signed in", "carol").count
        let carolWaiting = try carol.start("receive", ["--wait", "3600"])
        try await first.waitForLog(["Signed in", "carol"], moreThan: before)

        let sent = try await alice.send("accepted just before the \(signal == SIGTERM ? "SIGTERM" : "SIGINT")", to: "bob")
        #expect(sent.exitCode == 0, "\(sent)")
        let id = try #require(sentID(in: sent))

        let stopped = try await first.stop(signal: signal)
        #expect(!stopped.signaled, "the server handled the signal instead of dying of it: \(stopped)")
        #expect(stopped.exitCode == 0, "\(stopped)")
        #expect(first.logLines(containing: "Node s1 stopped").count == 1, "\(stopped.stderr)")
        #expect(first.logLines(containing: " critical ").isEmpty, "\(stopped.stderr)")
        #expect(first.logLines(containing: " error ").isEmpty, "no error in the log: \(stopped.stderr)")

        let carolResult = try await carolWaiting.waitForExit()
        #expect(carolResult.exitCode == 3, "the client sees the server go: \(carolResult)")
        expectOneSentence(carolResult)

        let second = try await ServerProcess.start(database: database, in: scratch.url)
        defer { second.process.signal(SIGKILL) }
        #expect(second.logLines(containing: "Cleared").isEmpty, "a clean stop leaves no sessions behind: \(second.log)")
        bob.connect = second.address
        let received = try await bob.receive()
        #expect(received.exitCode == 0, "\(received)")
        #expect(try messages(in: received).map(\.id) == [id], "\(received)")
        let again = try await bob.receive()
        #expect(again.stdout.isEmpty, "\(again)")
        #expect(try await second.stop().exitCode == 0)
    }

    @Test("A server with no clients stops at once on SIGTERM")
    func idleShutdown() async throws {
        let scratch = try Scratch("fastchat-server")
        defer { scratch.remove() }
        let server = try await ServerProcess.start(database: "sqlite:" + scratch.file("fc.db"), in: scratch.url)
        let stopped = try await server.stop(signal: SIGTERM)
        #expect(stopped.exitCode == 0, "\(stopped)")
        #expect(server.logLines(containing: "Node s1 stopped").count == 1, "\(stopped)")
    }

    @Test(
        "A bad --database is refused with one clear sentence: non-zero exit, no crash",
        arguments: [
            "mysql://x",
            "postgres://u:secretpw@h/db",
            "sqlite:/proc/nope/x.db",
            "sqlite:",
            "fastchat.db",
        ]
    )
    func badDatabase(database: String) async throws {
        let scratch = try Scratch("fastchat-server")
        defer { scratch.remove() }
        let result = try await FastChatCLI.run(
            ["server", "--port", "0", "--database", database, "--name", "s1"], in: scratch.url)
        #expect(!result.signaled, "no crash: \(result)")
        #expect(result.exitCode != 0 && result.exitCode != nil, "\(result)")
        #expect(!result.stderr.contains("listening on"), "\(result)")
        #expect(!result.stderr.contains("secretpw"), "the password in the URL is not echoed: \(result)")
        expectOneSentence(result)
        for debris in ["Fatal error", "Stack dump", "backtrace", "Current stack trace"] {
            #expect(!result.stderr.contains(debris), "\(result)")
        }
    }

    @Test(
        "A --dead-after outside 1 to 86400 seconds is refused by node and balancer: exit 1, naming the option",
        arguments: [["server", "0"], ["server", "-5"], ["server", "nan"], ["balancer", "86401"], ["balancer", "inf"]]
    )
    func badDeadAfter(arguments: [String]) async throws {
        let scratch = try Scratch("fastchat-server")
        defer { scratch.remove() }
        let result = try await FastChatCLI.run(
            [arguments[0], "--port", "0", "--database", "sqlite:" + scratch.file("fc.db"), "--dead-after=\(arguments[1])"],
            in: scratch.url)
        #expect(result.exitCode == 1, "\(arguments): \(result)")
        #expect(result.stderr.contains("--dead-after"), "\(arguments): \(result)")
        #expect(!result.stderr.contains("listening on"), "\(result)")
    }

    @Test("A directory given as the SQLite file is refused with one sentence")
    func databaseIsADirectory() async throws {
        let scratch = try Scratch("fastchat-server")
        defer { scratch.remove() }
        let directory = scratch.file("a-directory")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try await FastChatCLI.run(
            ["server", "--port", "0", "--database", "sqlite:" + directory], in: scratch.url)
        #expect(!result.signaled && result.exitCode != 0, "\(result)")
        expectOneSentence(result)
    }

    @Test("A port already in use is refused with one sentence")
    func portInUse() async throws {
        let scratch = try Scratch("fastchat-server")
        defer { scratch.remove() }
        let first = try await ServerProcess.start(database: "sqlite:" + scratch.file("a.db"), in: scratch.url)
        defer { first.process.signal(SIGKILL) }
        let result = try await FastChatCLI.run(
            ["server", "--port", "\(first.port)", "--database", "sqlite:" + scratch.file("b.db"), "--name", "s2"],
            in: scratch.url)
        #expect(!result.signaled && result.exitCode != 0, "\(result)")
        #expect(!result.stderr.contains("listening on"), "\(result)")
        expectOneSentence(result)
        #expect(result.stderr.contains("\(first.port)"), "it names the port: \(result)")
        #expect(try await first.stop().exitCode == 0)
    }
}
