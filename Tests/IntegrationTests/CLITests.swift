import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scriptable client's contract (issue 2, item 8), driven exactly as a script would: the real `fastchat`
/// executable, one process per command, against a real `fastchat server` process on a free port with its SQLite file
/// in a temporary directory. Exit codes: 0 success; 1 any other failure; 3 cannot reach the server; 10 username
/// taken; 11 no such user; 12 incorrect password; 13 already logged in elsewhere — and every failure prints one plain
/// sentence on stderr.
@Suite("Scriptable client (fastchat CLI)", .heavy, .serialized, .timeLimit(.minutes(10)))
struct CLITests {
    // MARK: Accounts

    @Test("signup succeeds once; the same username again exits 10 with one sentence")
    func signUpTwice() async throws {
        try await withCLIServer { server, scratch in
            let alice = CLIUser("alice", server: server, scratch: scratch)
            let first = try await alice.signUp()
            #expect(first.exitCode == 0, "\(first)")
            #expect(first.stderr.isEmpty, "\(first)")
            #expect(first.stdout.contains("alice"), "\(first)")

            // Same name from another machine (another home) and another password.
            var other = CLIUser("alice", server: server, scratch: scratch)
            other.password = "something else"
            let second = try await other.signUp()
            #expect(second.exitCode == 10, "\(second)")
            #expect(second.stdout.isEmpty, "\(second)")
            expectOneSentence(second)
            // The first account is untouched: its owner still signs in.
            let whois = try await alice.run("whois", ["alice"])
            #expect(whois.exitCode == 0, "\(whois)")
        }
    }

    @Test("send to an unknown peer exits 11")
    func sendToUnknownPeer() async throws {
        try await withCLIServer { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let result = try await alice.send("hello?", to: "nobody")
            #expect(result.exitCode == 11, "\(result)")
            expectOneSentence(result)
        }
    }

    @Test("A wrong password exits 12")
    func wrongPassword() async throws {
        try await withCLIServer { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            for command in [["receive"], ["whois", "alice"], ["send", "--to", "alice", "hi"]] {
                let result = try await alice.run(command[0], Array(command.dropFirst()), password: alice.password + "x")
                #expect(result.exitCode == 12, "\(command): \(result)")
                expectOneSentence(result)
            }
            // The right one still works afterwards.
            let result = try await alice.receive()
            #expect(result.exitCode == 0, "\(result)")
        }
    }

    @Test("Signing in as a user who does not exist exits 11")
    func unknownUser() async throws {
        try await withCLIServer { server, scratch in
            let ghost = CLIUser("ghost", server: server, scratch: scratch)
            for command in [["receive"], ["send", "--to", "ghost", "hi"], ["whois", "ghost"]] {
                let result = try await ghost.run(command[0], Array(command.dropFirst()))
                #expect(result.exitCode == 11, "\(command): \(result)")
                expectOneSentence(result)
            }
        }
    }

    @Test("A second session while one is open exits 13; once the first process dies, signing in works again")
    func alreadyLoggedIn() async throws {
        try await withCLIServer { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)

            let before = server.logLines(containing: "Signed in", "bob").count
            // Waits until it is killed below: the wait is no window the test could miss.
            let waiter = try bob.start("receive", ["--wait", "3600"])
            try await server.waitForLog(["Signed in", "bob"], moreThan: before)

            // From another machine with the right password, and from the same home: both refused.
            var elsewhere = bob
            elsewhere.home = scratch.file("bob-laptop")
            for session in [bob, elsewhere] {
                let result = try await session.send("hi", to: "alice")
                #expect(result.exitCode == 13, "\(result)")
                expectOneSentence(result)
            }
            // A wrong password is still a wrong password, whoever is signed in.
            let wrong = try await bob.run("receive", password: "nope")
            #expect(wrong.exitCode == 12, "\(wrong)")
            #expect(waiter.isRunning, "the first session is not disturbed")

            // The waiter dies without signing out: the server notices the closed connection and frees the session.
            await waiter.kill9()
            var last: ProcessResult?
            let freed = try await poll(until: .now + patience, every: .milliseconds(200)) {
                last = try await bob.send("back again", to: "alice")
                return last?.exitCode == 0
            }
            #expect(freed, "bob could not sign in again after his first session died: \(last.map { "\($0)" } ?? "")")
            let received = try await alice.receive()
            #expect(try messages(in: received).map(\.text) == ["back again"])
        }
    }

    @Test("Any command exits 3 with one sentence when the server is not running")
    func serverNotRunning() async throws {
        let scratch = try Scratch("fastchat-cli")
        defer { scratch.remove() }
        let address = "127.0.0.1:\(try unusedLoopbackPort())"
        let environment = ["FASTCHAT_PASSWORD": "pw", "FASTCHAT_HOME": scratch.file("home")]
        for command in [
            ["signup", "--user", "alice", "--kdf-log2n", "10"], ["send", "--user", "alice", "--to", "bob", "hi"],
            ["receive", "--user", "alice"], ["whois", "--user", "alice", "bob"],
        ] {
            let result = try await FastChatCLI.run(
                command + ["--connect", address], environment: environment, in: scratch.url)
            #expect(result.exitCode == 3, "\(command): \(result)")
            expectOneSentence(result)
        }
        // Also through $FASTCHAT_CONNECT instead of --connect.
        let viaEnvironment = try await FastChatCLI.run(
            ["receive", "--user", "alice"], environment: environment.merging(["FASTCHAT_CONNECT": address]) { $1 },
            in: scratch.url)
        #expect(viaEnvironment.exitCode == 3, "\(viaEnvironment)")
    }

    @Test(
        "An invalid username exits 1 with a sentence that says why",
        arguments: ["bad name", "émile", String(repeating: "x", count: 33), "a/b", "alice@example.com"]
    )
    func invalidUsername(name: String) async throws {
        try await withCLIServer { server, scratch in
            let user = CLIUser(name, server: server, scratch: scratch)
            let result = try await user.signUp()
            #expect(result.exitCode == 1, "\(result)")
            expectOneSentence(result)
            #expect(result.stderr.contains("username"), "\(result)")
            // An invalid peer name is refused the same way.
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let send = try await alice.send("hi", to: name)
            #expect(send.exitCode == 1, "\(send)")
            expectOneSentence(send)
        }
    }

    // MARK: receive

    @Test("receive --json prints exactly the contract's keys, one object per line, in order, each message once")
    func receiveJSON() async throws {
        try await withCLIServer { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            let texts = [
                "hello bob",
                "ünïcödé ✓ 日本語 😀 \"quotes\" and \\backslash\\ and a / slash",
                String(repeating: "a message longer than eighty-seven characters, ", count: 8),
                "line one\nline two\ttabbed",
            ]
            let started = Date()
            var ids: [String] = []
            for text in texts {
                let sent = try await alice.send(text, to: "bob")
                #expect(sent.exitCode == 0, "\(sent)")
                ids.append(try #require(sentID(in: sent), "\(sent)"))
            }

            let received = try await bob.receive(["--json"])
            #expect(received.exitCode == 0, "\(received)")
            let lines = received.stdoutLines
            #expect(lines.count == texts.count, "\(received)")
            let contractKeys: Set = ["id", "from", "to", "group", "text", "image", "sent_at", "verified"]
            for (index, line) in lines.enumerated() {
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "line \(index): \(line)")
                #expect(Set(object.keys) == contractKeys, "line \(index): \(line)")
                #expect(object["id"] as? String == ids[safe: index], "line \(index)")
                #expect(object["from"] as? String == "alice")
                #expect(object["to"] as? String == "bob")
                #expect(object["group"] is NSNull, "group is null: \(line)")
                #expect(object["image"] is NSNull, "image is null: \(line)")
                #expect(object["text"] as? String == texts[safe: index], "line \(index)")
                #expect(isBoolean(line), "verified is a JSON boolean: \(line)")
                #expect(object["verified"] as? Bool == true, "line \(index): \(line)")
                let sentAt = try #require(object["sent_at"] as? String)
                let date = try #require(parseISO8601(sentAt), "sent_at is ISO 8601: \(sentAt)")
                #expect(date > started.addingTimeInterval(-60) && date < Date().addingTimeInterval(60), "\(sentAt)")
            }
            #expect(Set(ids).count == ids.count)

            // Shown once: acknowledged, so a second receive has nothing.
            let again = try await bob.receive(["--json"])
            #expect(again.exitCode == 0, "\(again)")
            #expect(again.stdout.isEmpty, "\(again)")

            // Without --json: one readable line per message.
            let text = "plain"
            _ = try await alice.send(text, to: "bob")
            let readable = try await bob.receive([])
            #expect(readable.exitCode == 0, "\(readable)")
            #expect(readable.stdoutLines.count == 1, "\(readable)")
            #expect(readable.stdout.contains("alice") && readable.stdout.contains(text), "\(readable)")
        }
    }

    @Test("receive with nothing pending prints nothing and exits 0 at once")
    func receiveNothing() async throws {
        try await withCLIServer { server, scratch in
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            for arguments in [["--json"], []] {
                let result = try await bob.receive(arguments)
                #expect(result.exitCode == 0, "\(result)")
                #expect(result.stdout.isEmpty, "\(result)")
                #expect(result.stderr.isEmpty, "\(result)")
            }
        }
    }

    @Test("receive --wait prints pending messages, then one sent while it waits; --count ends it once both are shown")
    func receiveWait() async throws {
        try await withCLIServer { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            #expect(try await alice.send("sent before", to: "bob").exitCode == 0)

            let before = server.logLines(containing: "Signed in", "bob").count
            let waiter = try bob.start("receive", ["--json", "--wait", "3600", "--count", "2"])
            try await server.waitForLog(["Signed in", "bob"], moreThan: before)
            // The pending message is printed (and flushed) while the waiter is still waiting.
            try await waitForStdout(of: waiter, containing: "sent before")
            let sent = try await alice.send("sent during the wait", to: "bob")
            #expect(sent.exitCode == 0, "\(sent)")

            // The second message, not the hour, ends it.
            let result = try await waiter.waitForExit()
            #expect(result.exitCode == 0, "\(result)")
            #expect(try messages(in: result).map(\.text) == ["sent before", "sent during the wait"], "\(result)")

            // Both were acknowledged.
            let again = try await bob.receive()
            #expect(again.stdout.isEmpty, "\(again)")
        }
    }

    @Test("receive --wait S with nothing arriving exits by itself, 0, after S seconds")
    func receiveWaitEnds() async throws {
        try await withCLIServer { server, scratch in
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            let started = ContinuousClock.now
            let result = try await bob.receive(["--json", "--wait", "1"])
            // Only a lower bound: a busy machine makes it later, never earlier.
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect(result.exitCode == 0, "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
        }
    }

    @Test("receive --count N shows the first N in order and leaves the rest pending; without --wait it waits for them")
    func receiveCount() async throws {
        try await withCLIServer { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            for text in ["one", "two", "three"] {
                let sent = try await alice.send(text, to: "bob")
                #expect(sent.exitCode == 0, "\(sent)")
            }
            let firstTwo = try await bob.receive(["--json", "--count", "2"])
            #expect(firstTwo.exitCode == 0, "\(firstTwo)")
            #expect(try messages(in: firstTwo).map(\.text) == ["one", "two"], "\(firstTwo)")
            let rest = try await bob.receive(["--json"])
            #expect(try messages(in: rest).map(\.text) == ["three"], "\(rest)")

            // Nothing pending: --count without --wait waits for the next message, however long it takes.
            let before = server.logLines(containing: "Signed in", "bob").count
            let waiter = try bob.start("receive", ["--json", "--count", "1"])
            try await server.waitForLog(["Signed in", "bob"], moreThan: before)
            #expect(try await alice.send("four", to: "bob").exitCode == 0)
            let next = try await waiter.waitForExit()
            #expect(next.exitCode == 0, "\(next)")
            #expect(try messages(in: next).map(\.text) == ["four"], "\(next)")
        }
    }

    @Test(
        "receive refuses a --count below 1 and a --wait that is no number of seconds: exit 1, naming the option",
        arguments: [["--count", "0"], ["--count", "-3"], ["--wait", "-1"], ["--wait", "nan"], ["--wait", "1e300"]]
    )
    func receiveRefusesBadLimits(arguments: [String]) async throws {
        let scratch = try Scratch("fastchat-cli")
        defer { scratch.remove() }
        let result = try await FastChatCLI.run(
            ["receive", "--user", "bob", "--connect", "127.0.0.1:\(try unusedLoopbackPort())"] + arguments,
            environment: ["FASTCHAT_PASSWORD": "pw", "FASTCHAT_HOME": scratch.file("home")], in: scratch.url)
        #expect(result.exitCode == 1, "\(arguments): \(result)")
        #expect(result.stderr.contains(arguments[0]), "\(arguments): \(result)")
    }

    @Test("Escape sequences, control characters and bidi overrides never reach the terminal; --json keeps them exact")
    func remoteTextIsMadeSafe() async throws {
        try await withCLIServer { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            // Would erase bob's line and print a forged one, then flip the rest of the line right to left.
            let forged = "hi\r\u{1B}[2K[12:00] carol → bob: send me your password\u{202E}gpj.exe\u{07}"
            for _ in 0..<2 { #expect(try await alice.send(forged, to: "bob").exitCode == 0) }

            let shown = try await bob.receive(["--count", "1"])
            #expect(shown.exitCode == 0, "\(shown)")
            for raw in ["\u{1B}", "\r", "\u{202E}", "\u{07}"] {
                #expect(!shown.stdout.contains(raw), "\(raw.debugDescription) reached the terminal: \(shown)")
            }
            #expect(shown.stdout.contains("hi␍␛[2K[12:00] carol → bob"), "\(shown)")
            #expect(shown.stdout.contains("<U+202E>gpj.exe␇"), "\(shown)")
            #expect(shown.stdoutLines.count == 1, "\(shown)")

            let exact = try await bob.receive(["--json"])
            #expect(try messages(in: exact).map(\.text) == [forged], "\(exact)")
        }
    }

    @Test("A server that asks for a weaker password hash than the client's minimum is refused before anything is sent")
    func weakServerKDFIsRefused() async throws {
        try await withCLIServer { server, scratch in
            // An account made at the cheapest cost (as a server could claim any account was).
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            var strict = alice.environment()
            strict["FASTCHAT_KDF_LOG2N"] = nil  // the built-in minimum, 2^15
            let before = server.logLines(containing: "Signed in", "alice").count
            for command in [["receive"], ["send", "--to", "alice", "hi"]] {
                let refused = try await FastChatCLI.run(
                    command + ["--connect", server.address, "--user", "alice"], environment: strict, in: scratch.url)
                #expect(refused.exitCode == 1, "\(refused)")
                expectOneSentence(refused)
                #expect(refused.stderr.contains("weaker password hash (scrypt N = 2^10"), "\(refused)")
            }
            #expect(server.logLines(containing: "Signed in", "alice").count == before, "no auth key was sent")
            // At the floor it was made with, it signs in.
            #expect(try await alice.receive().exitCode == 0)
        }
    }

    @Test("Over the node's limit on password hashing a command exits 5 with one sentence saying how long to wait")
    func rateLimitedExitsFive() async throws {
        try await withCLIServer(arguments: ["--auth-limit-per-account", "2"]) { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            #expect(try await alice.receive().exitCode == 0)
            let limited = try await alice.receive()
            #expect(limited.exitCode == 5, "\(limited)")
            expectOneSentence(limited)
            // 30 s for the next token, less what refilled between the two commands (a slow machine refills more).
            let wait = limited.stderr.firstMatch(of: /^Too many sign-in attempts for alice: try again in (\d+) seconds\.\n$/)
            #expect(wait.flatMap { Int($0.output.1) }.map { (1...30).contains($0) } == true, "\(limited)")
            // Another account is not held back by alice's.
            #expect(try await signedUp("bob", server: server, scratch: scratch).receive().exitCode == 0)
        }
    }

    @Test("Without FASTCHAT_PASSWORD the password is the first line of standard input")
    func passwordFromStdin() async throws {
        try await withCLIServer { server, scratch in
            let carol = CLIUser("carol", server: server, scratch: scratch)
            let environment = ["FASTCHAT_HOME": carol.home, "FASTCHAT_KDF_LOG2N": "10"]
            let base = ["--connect", server.address, "--user", "carol"]
            func run(_ arguments: [String], stdin: String?) async throws -> ProcessResult {
                try await FastChatCLI.run(arguments + base, environment: environment, stdin: stdin, in: scratch.url)
            }
            let signUp = try await run(["signup", "--kdf-log2n", "10"], stdin: "stdin secret\nignored second line\n")
            #expect(signUp.exitCode == 0, "\(signUp)")

            let alice = try await signedUp("alice", server: server, scratch: scratch)
            // No trailing newline is fine too.
            let send = try await run(["send", "--to", "alice", "from stdin"], stdin: "stdin secret")
            #expect(send.exitCode == 0, "\(send)")
            #expect(try messages(in: try await alice.receive()).map(\.text) == ["from stdin"])

            // Only the first line is the password.
            let secondLine = try await run(["receive"], stdin: "wrong\nstdin secret\n")
            #expect(secondLine.exitCode == 12, "\(secondLine)")
            expectOneSentence(secondLine)

            // The same password through the environment is the same account.
            var viaEnvironment = carol
            viaEnvironment.password = "stdin secret"
            #expect(try await viaEnvironment.receive().exitCode == 0)

            // Nothing on standard input: a clear failure, not a hang or a crash.
            let empty = try await run(["receive"], stdin: "")
            #expect(empty.exitCode == 1, "\(empty)")
            expectOneSentence(empty)
            #expect(empty.stderr.contains("password"), "\(empty)")
        }
    }

    // MARK: whois

    @Test("whois prints the peer's fingerprint (10 groups of 4 hex digits) and whether it is pinned")
    func whois() async throws {
        try await withCLIServer { server, scratch in
            let alice = try await signedUp("alice", server: server, scratch: scratch)
            let bob = try await signedUp("bob", server: server, scratch: scratch)
            let carol = try await signedUp("carol", server: server, scratch: scratch)

            let first = try await alice.run("whois", ["bob"])
            #expect(first.exitCode == 0, "\(first)")
            let fingerprint = try #require(fingerprintIn(first.stdout), "\(first)")
            #expect(first.stdout.contains("bob"))
            #expect(first.stdout.contains("pinned: no"), "first use: \(first)")

            let second = try await alice.run("whois", ["bob"])
            #expect(second.exitCode == 0, "\(second)")
            #expect(fingerprintIn(second.stdout) == fingerprint, "stable across calls")
            #expect(second.stdout.contains("pinned: yes"), "pinned after first use: \(second)")

            // Another user, on another machine, sees the same key; and so does bob of himself.
            let carolSees = try await carol.run("whois", ["bob"])
            #expect(fingerprintIn(carolSees.stdout) == fingerprint, "\(carolSees)")
            let bobSees = try await bob.run("whois", ["bob"])
            #expect(fingerprintIn(bobSees.stdout) == fingerprint, "\(bobSees)")
            // A different user has a different fingerprint.
            let aliceOwn = try await alice.run("whois", ["alice"])
            #expect(fingerprintIn(aliceOwn.stdout) != fingerprint, "\(aliceOwn)")

            let json = try await alice.run("whois", ["bob", "--json"])
            #expect(json.exitCode == 0, "\(json)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
            #expect(object["user"] as? String == "bob")
            #expect(object["fingerprint"] as? String == fingerprint)
            #expect(object["pinned"] as? Bool == true)
            #expect(object["changed"] as? Bool == false)

            let unknown = try await alice.run("whois", ["nobody"])
            #expect(unknown.exitCode == 11, "\(unknown)")
            expectOneSentence(unknown)
        }
    }
}

// MARK: - Helpers

/// Starts a server on a fresh database, runs `body`, and always stops the server and removes the files.
func withCLIServer(
    arguments: [String] = [],
    _ body: (ServerProcess, Scratch) async throws -> Void
) async throws {
    let scratch = try Scratch("fastchat-cli")
    let server = try await ServerProcess.start(
        database: "sqlite:" + scratch.file("fc.db"), extraArguments: arguments, in: scratch.url)
    do {
        try await NodeLog.$tail.withValue({ server.log }) { try await body(server, scratch) }
    } catch {
        await server.kill9()
        Issue.record("The server's log ends with:\n\(NodeLog.last(60, of: server.log))")
        scratch.remove()
        throw error
    }
    let stopped = try await server.stop(signal: SIGTERM)
    #expect(stopped.exitCode == 0, "the server stops cleanly: \(stopped)")
    scratch.remove()
}

/// A user who has signed up (and whose signup is checked).
func signedUp(_ name: String, server: ServerProcess, scratch: Scratch) async throws -> CLIUser {
    let user = CLIUser(name, server: server, scratch: scratch)
    let result = try await user.signUp()
    guard result.exitCode == 0 else {
        throw ProcessTestError("signup \(name) failed: \(result)")
    }
    return user
}

/// A failure's stderr is one plain sentence: one line, starting with a letter, digit or quote (it may begin with a
/// username), ending in a full stop, no Swift type dump or trace.
func expectOneSentence(_ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) {
    let lines = result.stderrLines
    #expect(lines.count == 1, "one line on stderr: \(result)", sourceLocation: sourceLocation)
    let line = lines.first ?? ""
    #expect(line.first.map { $0.isLetter || $0.isNumber || $0 == "\"" } == true, "\(line)", sourceLocation: sourceLocation)
    #expect(line.hasSuffix(".") || line.hasSuffix(".\""), "\(line)", sourceLocation: sourceLocation)
    for debris in ["Error(", "error:", "Fatal", "fatal", "Stack", "backtrace", "0x", "ProtocolError", "StoreError"] {
        #expect(!line.contains(debris), "no \(debris) in \(line)", sourceLocation: sourceLocation)
    }
}

struct ReceivedLine {
    var id: String
    var text: String
}

/// The messages in `receive --json` output.
func messages(in result: ProcessResult) throws -> [ReceivedLine] {
    try result.stdoutLines.map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let id = object["id"] as? String, let text = object["text"] as? String
        else { throw ProcessTestError("not a message line: \(line)") }
        return ReceivedLine(id: id, text: text)
    }
}

/// The id in `send`'s "✓ sent to bob (id)".
func sentID(in result: ProcessResult) -> String? {
    guard let open = result.stdout.lastIndex(of: "("), let close = result.stdout.lastIndex(of: ")"), open < close
    else { return nil }
    let id = String(result.stdout[result.stdout.index(after: open)..<close])
    return UUID(uuidString: id) != nil ? id : nil
}

/// The first "xxxx xxxx … xxxx" (10 groups of 4 lowercase hex digits) in `text`.
func fingerprintIn(_ text: String) -> String? {
    let pattern = /[0-9a-f]{4}( [0-9a-f]{4}){9}/
    return text.firstMatch(of: pattern).map { String($0.output.0) }
}

func parseISO8601(_ text: String) -> Date? {
    let plain = ISO8601DateFormatter()
    if let date = plain.date(from: text) { return date }
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return fractional.date(from: text)
}

/// `"verified":true` written as a JSON boolean, not a string or number.
func isBoolean(_ line: String) -> Bool {
    line.contains("\"verified\":true") || line.contains("\"verified\": true")
}

func waitForStdout(of process: ChildProcess, containing text: String, timeout: Duration = patience) async throws {
    let seen = await poll(until: .now + timeout) { process.stdout.contains(text) || !process.isRunning }
    guard seen, process.stdout.contains(text) else {
        throw ProcessTestError("\(process.label) did not print \(text.debugDescription): stdout \(process.stdout), stderr \(process.stderr)")
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
