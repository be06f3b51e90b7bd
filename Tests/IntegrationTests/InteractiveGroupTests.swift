import Foundation
import XCTest

/// The interactive client's group items used the way a person uses them — in a tmux pane, against a real
/// `fastchat server` — with the other members driven through the scriptable client.
final class InteractiveGroupTests: XCTestCase {
    private var scratch: Scratch!
    private var server: ServerProcess?
    private var panes: [TmuxPane] = []
    private var alice: CLIUser!
    private var bob: CLIUser!

    private static let groupPassword = "team-group-secret-pw"

    override func setUp() async throws {
        scratch = try Scratch("fastchat-group-chat")
        let server = try await ServerProcess.start(database: "sqlite:" + scratch.file("fastchat.db"), in: scratch.url)
        self.server = server
        alice = CLIUser("alice", password: "alice-secret-pw", server: server, scratch: scratch)
        bob = CLIUser("bob", password: "bob-secret-pw", server: server, scratch: scratch)
        for user in [alice!, bob!] {
            let result = try await user.signUp()
            XCTAssertEqual(result.exitCode, 0, "signup \(user.name): \(result)")
        }
    }

    override func tearDown() async throws {
        for pane in panes { pane.kill() }
        if let server, (testRun?.totalFailureCount ?? 0) > 0 {
            FileHandle.standardError.write(Data("The server's log ends with:\n\(NodeLog.last(60, of: server.log))\n".utf8))
        }
        if let server { _ = try? await server.stop() }
        scratch?.remove()
    }

    func testCreateChatLiveAndRemoveFromTheMenus() async throws {
        let pane = try chatPane(as: alice)
        try await pane.waitFor("Choose [1-3]:")
        try pane.type("1")
        try await pane.waitFor("Password for alice:")
        try pane.type(alice.password)
        try await pane.waitFor("7) Quit")

        // Create: the group password is typed twice at prompts that do not echo it.
        try pane.type("3")
        try await pane.waitFor("Name of the new group:")
        try pane.type("team")
        try await pane.waitFor("Password for the new group team:")
        try pane.type(Self.groupPassword)
        try await pane.waitFor("Type it again:")
        try pane.type(Self.groupPassword)
        var screen = try await pane.waitFor("Created group @team; you are its admin.")
        XCTAssertFalse(screen.contains(Self.groupPassword), "the group password was echoed:\n\(screen)")
        XCTAssertFalse(screen.contains(alice.password), "the account password was echoed:\n\(screen)")

        // A mistyped group name is explained, and the menu comes back.
        try pane.type("4")
        try await pane.waitFor("Group to join:")
        try pane.type("taem")
        try await pane.waitFor("Password of group taem:")
        try pane.type("whatever")
        try await pane.waitFor("There is no group called taem.")

        let joined = try await group(bob, ["join", "team"], password: Self.groupPassword)
        XCTAssertEqual(joined.exitCode, 0, "\(joined)")
        try await pane.waitFor("bob joined")

        // The room: header with members, a line sent to the group.
        try pane.type("5")
        try await pane.waitFor("1) @team (admin)")
        try pane.type("1")
        try await pane.waitFor("── Group @team ──")
        try await pane.waitFor("Members (2): alice (admin), bob")
        try pane.type("hello team, from alice")
        try await pane.waitFor("you → @team: hello team, from alice ✓")

        let received = try await receive(as: bob)
        XCTAssertEqual(received.filter { $0.text != nil }.map(\.text), ["hello team, from alice"])
        XCTAssertEqual(received.first { $0.text != nil }?.group, "team")
        XCTAssertEqual(received.first { $0.text != nil }?.from, "alice")

        // The group's messages show live; a 1:1 message is set apart as a notice.
        let sent = try await bob.run("send", ["--group", "team", "hi team, from bob"])
        XCTAssertEqual(sent.exitCode, 0, "\(sent)")
        try await pane.waitFor("bob @team: hi team, from bob")
        let privately = try await bob.send("a private word", to: "alice")
        XCTAssertEqual(privately.exitCode, 0, "\(privately)")
        try await pane.waitFor("bob (not in this chat): a private word")
        try pane.type("/members")
        try await pane.waitFor("Members (2): alice (admin), bob", count: 2)
        try pane.type("/quit")
        try await pane.waitFor("7) Quit", count: 4)

        // In the menu a group message waits in the inbox, and the listing names its group.
        let later = try await bob.run("send", ["--group", "team", "while alice is in the menu"])
        XCTAssertEqual(later.exitCode, 0, "\(later)")
        screen = try await pane.waitFor("✉ New message from bob in @team — 1 unread.")
        XCTAssertFalse(screen.contains("bob @team: while alice is in the menu"), screen)
        try pane.type("2")
        try await pane.waitFor("bob @team: while alice is in the menu")

        // Group admin: remove bob, who then cannot rejoin (exit code 22, not a member).
        try pane.type("6")
        try await pane.waitFor("── Groups you administer ──")
        try pane.type("1")
        try await pane.waitFor("── Admin of @team ──")
        try pane.type("2")
        try await pane.waitFor("Remove [1-1 or a username")
        try pane.type("1")
        try await pane.waitFor("Removed bob from @team")
        let rejoin = try await group(bob, ["join", "team"], password: Self.groupPassword)
        XCTAssertEqual(rejoin.exitCode, 22, "\(rejoin)")

        try pane.type("1")
        try await pane.waitFor("Members (1): alice (admin)")
        try pane.type("7")
        try await pane.waitFor("7) Quit", count: 6)
        try pane.type("7")
        let status = try await pane.waitForExit()
        screen = try pane.contents()
        XCTAssertEqual(status, 0, screen)
        XCTAssertFalse(screen.contains(Self.groupPassword), "the group password was echoed:\n\(screen)")
        // Everything shown was acknowledged: nothing is left pending for alice.
        let left = try await receive(as: alice)
        XCTAssertEqual(left.filter { $0.text != nil }.map(\.text), [])
    }

    func testJoinMistakesThenRemovedWhileInTheRoom() async throws {
        let created = try await group(alice, ["create", "team"], password: Self.groupPassword)
        XCTAssertEqual(created.exitCode, 0, "\(created)")
        let pane = try chatPane(as: bob)
        try await pane.waitFor("Choose [1-3]:")
        try pane.type("1")
        try await pane.waitFor("Password for bob:")
        try pane.type(bob.password)
        try await pane.waitFor("7) Quit")

        // No groups yet: both group lists say what to do instead of showing an empty list.
        try pane.type("5")
        try await pane.waitFor("You are in no group yet.")
        try pane.type("6")
        try await pane.waitFor("You administer no group.")

        // A taken name and a wrong password are explained; the right password joins.
        try pane.type("3")
        try await pane.waitFor("Name of the new group:")
        try pane.type("team")
        try await pane.waitFor("Password for the new group team:")
        try pane.type("bobs-own-pw")
        try await pane.waitFor("Type it again:")
        try pane.type("bobs-own-pw")
        try await pane.waitFor("The group name team is already taken.")
        try pane.type("4")
        try await pane.waitFor("Group to join:")
        try pane.type("team")
        try await pane.waitFor("Password of group team:")
        try pane.type("not-the-group-pw")
        try await pane.waitFor("Incorrect password for group team.")
        try pane.type("join")
        try await pane.waitFor("Group to join:", count: 2)
        try pane.type("team")
        try await pane.waitFor("Password of group team:", count: 2)
        try pane.type(Self.groupPassword)
        var screen = try await pane.waitFor("Joined group @team.")
        XCTAssertFalse(screen.contains(Self.groupPassword), "the group password was echoed:\n\(screen)")
        XCTAssertFalse(screen.contains("not-the-group-pw"), "the group password was echoed:\n\(screen)")

        try pane.type("5")
        try await pane.waitFor("1) @team (member)")
        try pane.type("team")
        try await pane.waitFor("Members (2): alice (admin), bob")
        let sent = try await alice.run("send", ["--group", "team", "welcome, bob"])
        XCTAssertEqual(sent.exitCode, 0, "\(sent)")
        try await pane.waitFor("alice @team: welcome, bob")

        // Removed while in the room: the notice shows at once, and a line typed afterwards is refused with a reason.
        let removed = try await group(alice, ["remove", "team", "bob"], password: Self.groupPassword)
        XCTAssertEqual(removed.exitCode, 0, "\(removed)")
        try await pane.waitFor("@team: bob was removed by alice")
        try await pane.waitFor("You can no longer send to @team.")
        try pane.type("still here?")
        try await pane.waitFor("✗ not sent: still here? — You are not a member of team.")
        try pane.type("/quit")
        try await pane.waitFor("7) Quit", count: 7)
        try pane.type("quit")
        let status = try await pane.waitForExit()
        screen = try pane.contents()
        XCTAssertEqual(status, 0, screen)
    }

    // MARK: Helpers

    /// A `receive --json` line: a message (from, text, group) or a notice (event, group).
    private struct Received: Decodable {
        var from: String?
        var text: String?
        var group: String?
        var event: String?
    }

    private func chatPane(as user: CLIUser) throws -> TmuxPane {
        let pane = try TmuxPane(
            command: [try FastChatBuild.requireExecutable().path, "chat", "--user", user.name],
            environment: [
                "FASTCHAT_CONNECT": user.connect, "FASTCHAT_HOME": user.home, "FASTCHAT_KDF_LOG2N": "10",
                "FASTCHAT_CA": user.caFile, "FASTCHAT_ANSWER_TIMEOUT": user.answerTimeout,
            ]
        )
        panes.append(pane)
        return pane
    }

    /// `fastchat group SUBCOMMAND --user NAME ARGUMENTS` with the group password in $FASTCHAT_GROUP_PASSWORD.
    private func group(_ user: CLIUser, _ arguments: [String], password: String) async throws -> ProcessResult {
        let subcommand = arguments.first ?? ""
        return try await FastChatCLI.run(
            ["group", subcommand, "--connect", user.connect, "--user", user.name] + arguments.dropFirst(),
            environment: user.environment().merging(["FASTCHAT_GROUP_PASSWORD": password]) { _, new in new },
            in: scratch.url
        )
    }

    /// Everything pending for `user` (acknowledging it), via the scriptable client.
    private func receive(as user: CLIUser) async throws -> [Received] {
        let result = try await user.receive()
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        return try result.stdoutLines.map { try JSONDecoder().decode(Received.self, from: Data($0.utf8)) }
    }
}
