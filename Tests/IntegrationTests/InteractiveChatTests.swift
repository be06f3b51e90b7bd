import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `fastchat chat` used the way a person uses it — on a real terminal (a tmux pane) and once through a pipe —
/// against a real `fastchat server` process, with the scriptable commands on the other end of the conversation.
final class InteractiveChatTests: XCTestCase {
    private var directory: URL!
    private var server: Process?
    private var endpoint = ""
    private var panes: [TmuxPane] = []

    private static let passwords = ["alice": "alice-secret-pw", "bob": "bob-secret-pw", "carol": "carol-secret-pw"]

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fastchat-chat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await startServer()
        for (user, password) in Self.passwords.sorted(by: { $0.key < $1.key }) {
            let result = try await fastchat(["signup", "--user", user, "--kdf-log2n", "10"], password: password)
            XCTAssertEqual(result.status, 0, "signup \(user): \(result.errors)")
        }
    }

    override func tearDown() async throws {
        for pane in panes { pane.kill() }
        if (testRun?.totalFailureCount ?? 0) > 0,
            let log = try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)
        {
            FileHandle.standardError.write(Data("The server's log ends with:\n\(NodeLog.last(60, of: log))\n".utf8))
        }
        if let server { await stop(server) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A server met for the first time: the interactive client shows its CA's fingerprint and asks; no means no
    /// connection (exit 4) and nothing pinned, yes pins it and the next start does not ask again.
    func testFirstContactAsksBeforeTrustingTheServer() async throws {
        let fresh = directory.appendingPathComponent("fresh-home")
        let known = fresh.appendingPathComponent("known_servers")
        let declined = try chatPane(["chat"], home: fresh, trustingTheCA: false)
        try await declined.waitFor("Trust it? [y/N]")
        try declined.type("n")
        let declinedStatus = try await declined.waitForExit()
        XCTAssertEqual(declinedStatus, 4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: known.path), "nothing was pinned")

        let accepted = try chatPane(["chat"], home: fresh, trustingTheCA: false)
        let screen = try await accepted.waitFor("Trust it? [y/N]")
        XCTAssertTrue(screen.contains("SHA256:"), "the fingerprint is shown:\n\(screen)")
        try accepted.type("y")
        try await accepted.waitFor("connected to node s1")
        try await accepted.waitFor("Choose [1-3]:")
        XCTAssertTrue(try String(contentsOf: known, encoding: .utf8).hasPrefix("\(endpoint) SHA256:"))
        try accepted.type("3")
        let acceptedStatus = try await accepted.waitForExit()
        XCTAssertEqual(acceptedStatus, 0)

        let again = try chatPane(["chat"], home: fresh, trustingTheCA: false)
        let second = try await again.waitFor("Choose [1-3]:")
        XCTAssertFalse(second.contains("Trust it?"), "a pinned server is not asked about again:\n\(second)")
        try again.type("3")
        let againStatus = try await again.waitForExit()
        XCTAssertEqual(againStatus, 0)
    }

    func testWrongPasswordRetryThenChatBothWaysWithReceipts() async throws {
        let pane = try chatPane(["chat"])
        try await pane.waitFor("connected to node s1")
        try await pane.waitFor("Choose [1-3]:")
        try pane.type("1")
        try await pane.waitFor("Username:")
        try pane.type("alice")
        try await pane.waitFor("Password for alice:")
        try pane.type("not-alices-password")
        try await pane.waitFor("Incorrect password for alice.")

        // The retry goes back to the first choice.
        try await pane.waitFor("1) Sign in", count: 2)
        try pane.type("1")
        try await pane.waitFor("Username:", count: 2)
        try pane.type("alice")
        try await pane.waitFor("Password for alice:", count: 2)
        try pane.type(Self.passwords["alice"]!)
        var screen = try await pane.waitFor("Signed in as alice on node s1.")
        XCTAssertFalse(screen.contains(Self.passwords["alice"]!), "the password was echoed:\n\(screen)")
        XCTAssertFalse(screen.contains("not-alices-password"), "the password was echoed:\n\(screen)")

        try await pane.waitFor("1) Chat with a user")
        try pane.type("1")
        try await pane.waitFor("Chat with (username):")
        try pane.type("bob")
        try await pane.waitFor("── Chat with bob ──")
        try pane.type("hello bob, from a pty ✓ ünïcode")
        try await pane.waitFor("you → bob: hello bob, from a pty ✓ ünïcode ✓")

        let received = try await receive(as: "bob")
        XCTAssertEqual(received.map(\.text), ["hello bob, from a pty ✓ ünïcode"])
        XCTAssertEqual(received.first?.from, "alice")
        XCTAssertEqual(received.first?.verified, true)
        // bob's client acknowledged it: the receipt reaches alice's open chat.
        try await pane.waitFor("✓✓ bob has received: hello bob, from a pty")

        let sent = try await fastchat(["send", "--user", "bob", "--to", "alice", "hi alice, from the CLI"], password: Self.passwords["bob"])
        XCTAssertEqual(sent.status, 0, sent.errors)
        try await pane.waitFor("bob: hi alice, from the CLI")

        try pane.type("/quit")
        try await pane.waitFor("1) Chat with a user", count: 2)
        try pane.type("7")  // Quit
        let status = try await pane.waitForExit()
        screen = try pane.contents()
        XCTAssertEqual(status, 0, screen)
        XCTAssertTrue(screen.contains("Signed out"), screen)
        // Shown in the chat, so acknowledged: nothing is pending for alice any more.
        let pending = try await receive(as: "alice")
        XCTAssertEqual(pending.map(\.text), [])
    }

    func testPendingInboxNoticesAndCtrlDSignsOut() async throws {
        for text in ["first pending", "second pending"] {
            let sent = try await fastchat(["send", "--user", "bob", "--to", "alice", text], password: Self.passwords["bob"])
            XCTAssertEqual(sent.status, 0, sent.errors)
        }
        let pane = try chatPane(["chat", "--user", "alice"])
        try await pane.waitFor("Choose [1-3]:")
        try pane.type("1")
        try await pane.waitFor("Password for alice:")
        try pane.type(Self.passwords["alice"]!)
        try await pane.waitFor("2) Read pending messages (2)")
        try pane.type("2")
        try await pane.waitFor("bob: first pending")
        try await pane.waitFor("bob: second pending")
        try await pane.waitFor("2) Read pending messages (0)")

        // In the menu a new message waits in the inbox, announced but not shown.
        try await send(from: "carol", to: "alice", "while alice is in the menu")
        let screen = try await pane.waitFor("✉ New message from carol — 1 unread.")
        XCTAssertFalse(screen.contains("while alice is in the menu"), screen)

        // In a chat with bob, a message from carol is shown as a notice.
        try pane.type("1")
        try await pane.waitFor("Chat with (username):")
        try pane.type("bob")
        try await pane.waitFor("── Chat with bob ──")
        try await send(from: "carol", to: "alice", "during the chat with bob")
        try await pane.waitFor("carol (not in this chat): during the chat with bob")

        try pane.press("C-d")
        let status = try await pane.waitForExit()
        let finalScreen = try pane.contents()
        XCTAssertEqual(status, 0, finalScreen)
        try await pane.waitFor("Signed out")
        // Only what was shown was acknowledged: the message left unread in the inbox is still pending.
        let pending = try await receive(as: "alice")
        XCTAssertEqual(pending.map(\.text), ["while alice is in the menu"])
    }

    func testPipedInputSignsUpAndSends() async throws {
        let script = [
            "2", "alice", "x", "x",  // taken
            "2", "dave", "one", "two",  // passwords differ
            "2", "dave", "dave-secret-pw", "dave-secret-pw",
            "1", "alice", "hello alice, from a pipe", "/quit",
            "7",  // Quit
        ]
        let result = try await fastchat(["chat", "--kdf-log2n", "10"], input: script.joined(separator: "\n") + "\n")
        XCTAssertEqual(result.status, 0, result.output + result.errors)
        for expected in [
            "The username alice is already taken.", "The two passwords do not match.", "Account dave created.",
            "Signed in as dave on node s1.", "you → alice: hello alice, from a pipe ✓", "Signed out",
        ] {
            XCTAssertTrue(result.output.contains(expected), "missing \(expected.debugDescription) in:\n\(result.output)")
        }
        XCTAssertFalse(result.output.contains("\u{1B}["), "colour codes written to a pipe:\n\(result.output)")
        let received = try await receive(as: "alice")
        XCTAssertEqual(received.map(\.text), ["hello alice, from a pipe"])
        XCTAssertEqual(received.first?.from, "dave")
    }

    func testServerGoingAwayEndsTheSessionWithExitCode3() async throws {
        let pane = try chatPane(["chat", "--user", "bob"])
        try await pane.waitFor("Choose [1-3]:")
        try pane.type("1")
        try await pane.waitFor("Password for bob:")
        try pane.type(Self.passwords["bob"]!)
        try await pane.waitFor("1) Chat with a user")
        // SIGKILL: the node dies without a goodbye, as when its machine goes away.
        if let server { kill(server.processIdentifier, SIGKILL) }
        // The client fails over through --connect for up to 20 s before it gives up.
        let status = try await pane.waitForExit()
        let screen = try pane.contents()
        XCTAssertEqual(status, 3, screen)
        try await pane.waitFor("Lost the connection to the server")
    }

    // MARK: Helpers

    private struct Received: Decodable {
        var from: String
        var text: String
        var verified: Bool
    }

    private struct CommandResult {
        var status: Int32
        var output: String
        var errors: String
    }

    func testImageInARoomWithProgressAndIncomingImageAnnounced() async throws {
        // Over 1 MiB, so the upload shows a progress bar.
        var image = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        image.append(Data((0..<(1_500_000)).map { _ in UInt8.random(in: 0...255) }))
        let path = directory.appendingPathComponent("cat.png")
        try image.write(to: path)
        let incoming = directory.appendingPathComponent("dog.png")
        try image.write(to: incoming)

        let pane = try chatPane(["chat", "--user", "alice"])
        try await pane.waitFor("Choose [1-3]:")
        try pane.type("1")
        try await pane.waitFor("Password for alice:")
        try pane.type(Self.passwords["alice"]!)
        try await pane.waitFor("1) Chat with a user")
        try pane.type("1")
        try await pane.waitFor("Chat with (username):")
        try pane.type("bob")
        try await pane.waitFor("── Chat with bob ──")
        try pane.type("/image \(path.path) a cat")
        try await pane.waitFor("100% cat.png")
        try await pane.waitFor("🖼 cat.png — a cat ✓")
        let received = try await fastchat(["receive", "--user", "bob", "--json"], password: Self.passwords["bob"])
        XCTAssertTrue(received.output.contains("/bob/downloads/cat.png"), received.output + received.errors)
        XCTAssertTrue(received.output.contains("\"text\":\"a cat\""), received.output)

        let sent = try await fastchat(
            ["send", "--user", "bob", "--to", "alice", "--image", incoming.path], password: Self.passwords["bob"])
        XCTAssertEqual(sent.status, 0, sent.errors)
        try await pane.waitFor("100% dog.png")
        try await pane.waitFor("image saved to")
        let saved = home.appendingPathComponent("alice/downloads/dog.png")
        XCTAssertEqual(FileManager.default.contents(atPath: saved.path), image)

        try pane.type("/image \(directory.path)/missing.png")
        try await pane.waitFor("does not exist")
        try pane.type("/quit")
        try await pane.waitFor("1) Chat with a user", count: 2)
        try pane.type("7")
        let status = try await pane.waitForExit()
        XCTAssertEqual(status, 0)
    }

    /// `trustingTheCA`: with `FASTCHAT_CA` (else the client meets the server's CA for the first time).
    private func chatPane(_ arguments: [String], home: URL? = nil, trustingTheCA: Bool = true) throws -> TmuxPane {
        var environment = [
            "FASTCHAT_CONNECT": endpoint, "FASTCHAT_HOME": (home ?? self.home).path, "FASTCHAT_KDF_LOG2N": "10",
            "FASTCHAT_ANSWER_TIMEOUT": "120",
        ]
        if trustingTheCA { environment["FASTCHAT_CA"] = caFile }
        let pane = try TmuxPane(command: [try Self.binary().path] + arguments, environment: environment)
        panes.append(pane)
        return pane
    }

    private func send(from sender: String, to recipient: String, _ text: String) async throws {
        let result = try await fastchat(["send", "--user", sender, "--to", recipient, text], password: Self.passwords[sender])
        XCTAssertEqual(result.status, 0, result.errors)
    }

    /// Everything pending for `user` (acknowledging it), via the scriptable client.
    private func receive(as user: String) async throws -> [Received] {
        let result = try await fastchat(["receive", "--user", user, "--json"], password: Self.passwords[user])
        XCTAssertEqual(result.status, 0, result.errors)
        return try result.output.split(separator: "\n").map {
            try JSONDecoder().decode(Received.self, from: Data($0.utf8))
        }
    }

    private var home: URL { directory.appendingPathComponent("home") }

    /// The CA the server made beside its store.
    private var caFile: String { directory.appendingPathComponent("tls/ca.pem").path }

    @discardableResult
    private func fastchat(
        _ arguments: [String], password: String? = nil, input: String = ""
    ) async throws -> CommandResult {
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = arguments
        var environment = [
            "FASTCHAT_CONNECT": endpoint, "FASTCHAT_HOME": home.path, "LANG": "C.UTF-8", "FASTCHAT_KDF_LOG2N": "10",
            "FASTCHAT_CA": caFile, "FASTCHAT_ANSWER_TIMEOUT": "120",
        ]
        environment["FASTCHAT_PASSWORD"] = password
        process.environment = environment
        let name = UUID().uuidString
        let outputURL = directory.appendingPathComponent("\(name).out")
        let errorsURL = directory.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorsURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorsURL)
        let stdin = Pipe()
        process.standardInput = stdin
        let (exit, exited) = AsyncStream<Never>.makeStream()
        process.terminationHandler = { _ in exited.finish() }
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        // A one-shot command that hangs must fail the test (on its status), not stall the suite.
        do {
            try await within(patience, "fastchat \(arguments.first ?? "") exits") { for await _ in exit {} }
        } catch {
            process.terminate()
        }
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            output: try String(contentsOf: outputURL, encoding: .utf8),
            errors: try String(contentsOf: errorsURL, encoding: .utf8)
        )
    }

    /// SIGTERM (a clean shutdown), then SIGKILL if it has not ended within a minute.
    private func stop(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// `fastchat server --port 0`; the port it bound is read back from its log line.
    private func startServer() async throws {
        let logURL = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = [
            "server", "--port", "0", "--name", "s1", "--log-level", "info",
            "--database", "sqlite:\(directory.appendingPathComponent("fastchat.db").path)",
        ]
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        server = process
        let deadline = ContinuousClock.now + patience
        while ContinuousClock.now < deadline, process.isRunning {
            let text = try String(contentsOf: logURL, encoding: .utf8)
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
            {
                endpoint = "127.0.0.1:\(port)"
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        XCTFail("The server did not report its port. Its log:\n\(text)")
        throw TmuxPane.Failure(description: "server did not start")
    }

    /// The `fastchat` executable `swift test` built next to this test bundle (or in the package's .build/debug).
    private static func binary() throws -> URL {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            Bundle(for: InteractiveChatTests.self).bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let binary = directory.appendingPathComponent("fastchat")
            if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        }
        throw TmuxPane.Failure(
            description: "The fastchat executable was not found in \(candidates.map(\.path)); run `swift build` first."
        )
    }
}
