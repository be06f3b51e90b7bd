import FastChatClient
import FastChatProtocol
import Foundation
import Testing

@Suite(.timeLimit(.minutes(10))) struct GroupTests {
    @Test(arguments: Backend.all)
    func createJoinWrongPasswordAndTakenName(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            try await alice.createGroup("team", password: "group pw")
            #expect(try await code { try await bob.createGroup("team", password: "other") } == .groupNameTaken)
            #expect(try await code { try await bob.joinGroup("team", password: "wrong") } == .incorrectGroupPassword)
            #expect(try await code { try await bob.joinGroup("nope", password: "x") } == .noSuchGroup)
            #expect(try await code { _ = try await bob.members(of: "team") } == .notAMember)
            try await bob.joinGroup("team", password: "group pw")
            try await bob.joinGroup("team", password: "group pw")  // joining twice is harmless
            #expect(try await alice.members(of: "team").map { "\($0.username):\($0.role)" } == ["alice:admin", "bob:member"])
            #expect(try await bob.groups().map { "\($0.name):\($0.role)" } == ["team:member"])
        }
    }

    @Test(arguments: Backend.all)
    func fanOutReachesEveryMemberOnceAndNotTheSender(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            try await node.client(home: "carol").signUp(username: "carol", password: "pw")
            try await alice.createGroup("team", password: "g")
            try await bob.joinGroup("team", password: "g")
            let carolSetup = node.client(home: "carol")
            try await carolSetup.signIn(username: "carol", password: "pw")
            try await carolSetup.joinGroup("team", password: "g")
            await carolSetup.signOut()

            let texts = (1...5).map { "group message \($0)" }
            for text in texts { try await alice.send(text, toGroup: "team") }

            // Bob is online: live delivery (after the notice that carol joined).
            var bobGot: [ReceivedMessage] = []
            while bobGot.count < texts.count { bobGot.append(try await bob.nextMessage()) }
            #expect(bobGot.map(\.text) == texts)
            #expect(bobGot.allSatisfy { $0.group == "team" && $0.to == nil && $0.from == "alice" && $0.verified })

            // Carol was offline: the same messages, in order, once.
            let carol = node.client(home: "carol")
            try await carol.signIn(username: "carol", password: "pw")
            #expect(try await carol.pendingMessages().map(\.text) == texts)
            await carol.signOut()
            let carolAgain = node.client(home: "carol")
            try await carolAgain.signIn(username: "carol", password: "pw")
            #expect(try await carolAgain.pendingMessages().isEmpty)

            // The sender gets no copy of its own message.
            #expect(try await mailbox(node, of: "alice") == 0)
        }
    }

    /// The ciphertext of a message to twelve members is stored once, beside twelve small rows; each member still gets
    /// the whole envelope and opens it, and the ciphertext goes with the last acknowledgement.
    @Test(arguments: Backend.all)
    func aMessageToTwelveMembersStoresItsCiphertextOnce(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            try await alice.createGroup("team", password: "g")
            var members: [ChatClient] = []
            for index in 1...12 {
                let member = try await node.user("member\(index)")
                try await member.joinGroup("team", password: "g")
                members.append(member)
            }
            let text = String(repeating: "x", count: await alice.maxTextBytes)
            let id = try await alice.send(text, toGroup: "team")

            #expect(try await node.database.count("SELECT COUNT(*) FROM message_bodies") == 1)
            let body = try await node.database.count("SELECT COALESCE(SUM(length(body)), 0) FROM message_bodies")
            let rows = try await node.database.count(
                "SELECT COALESCE(SUM(length(envelope)), 0) FROM mailbox WHERE sender = 'alice'")
            #expect(body > text.utf8.count, "the sealed text, once")
            #expect(rows < 12 * 1024, "twelve rows of a header and one wrapped key each: \(rows) bytes")

            // Eleven read it (and acknowledge, as `nextMessage` does); the last one reads it later.
            for member in members.dropLast() {
                let message = try await member.nextMessage()
                #expect(message.id == id && message.text == text && message.group == "team" && message.verified)
            }
            #expect(try await node.database.count("SELECT COUNT(*) FROM message_bodies") == 1, "one member still to read it")
            let last = try await members[11].next { event -> ReceivedMessage? in
                if case .message(let message) = event { return message }
                return nil
            }
            #expect(last.id == id && last.text == text && last.verified)
            #expect(try await node.database.count("SELECT COUNT(*) FROM message_bodies") == 1)
            try await members[11].acknowledge(last)
            #expect(try await node.database.count("SELECT COUNT(*) FROM message_bodies") == 0)
            #expect(try await mailbox(node, of: "member12") == 0)
        }
    }

    @Test(arguments: Backend.all)
    func removedMemberGetsNothingAfterwardsAndIsBanned(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let (alice, bob, carol) = try await team(on: node)
            try await alice.send("before", toGroup: "team")
            #expect(try await carol.nextMessage().text == "before")

            try await alice.removeMember("carol", from: "team")
            let notice = try await carol.next { event -> GroupNotice? in
                if case .notice(let notice) = event, notice.event == "removed" { return notice }
                return nil
            }
            #expect(notice.member == "carol" && notice.by == "alice" && notice.group == "team")

            try await alice.send("after", toGroup: "team")
            #expect(try await bob.nextMessage().text == "before")
            #expect(try await bob.nextMessage().text == "after")
            // Nothing for carol: her mailbox holds no copy of "after".
            #expect(try await mailbox(node, of: "carol") == 0)
            #expect(try await code { try await carol.send("let me in", toGroup: "team") } == .notAMember)
            #expect(try await code { try await carol.joinGroup("team", password: "g") } == .notAMember)

            try await alice.unban("carol", in: "team")
            try await carol.joinGroup("team", password: "g")
        }
    }

    @Test(arguments: Backend.all)
    func nonAdminsCannotUseAdminPowers(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let (alice, bob, _) = try await team(on: node)
            #expect(try await code { try await bob.removeMember("carol", from: "team") } == .notAnAdmin)
            #expect(try await code { try await bob.removeMember("alice", from: "team") } == .notAnAdmin)
            #expect(try await code { try await bob.unban("carol", in: "team") } == .notAnAdmin)
            #expect(try await code { try await bob.promote("bob", in: "team") } == .notAnAdmin)
            #expect(try await code { try await bob.changeGroupPassword("team", to: "mine") } == .notAnAdmin)
            #expect(try await code { try await bob.deleteGroup("team") } == .notAnAdmin)
            #expect(try await alice.members(of: "team").map(\.role) == ["admin", "member", "member"])

            // Promote, then the new admin can remove.
            try await alice.promote("bob", in: "team")
            try await bob.removeMember("carol", from: "team")
            #expect(try await alice.members(of: "team").map(\.username) == ["alice", "bob"])
        }
    }

    @Test(arguments: Backend.all)
    func passwordChangeAndDeletion(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            let carol = try await node.user("carol")
            try await alice.createGroup("team", password: "old")
            try await bob.joinGroup("team", password: "old")
            try await alice.changeGroupPassword("team", to: "new")
            #expect(try await code { try await carol.joinGroup("team", password: "old") } == .incorrectGroupPassword)
            try await carol.joinGroup("team", password: "new")

            try await alice.deleteGroup("team")
            let deleted = try await bob.next { event -> GroupNotice? in
                if case .notice(let notice) = event, notice.event == "deleted" { return notice }
                return nil
            }
            #expect(deleted.by == "alice")
            #expect(try await code { try await bob.send("anyone?", toGroup: "team") } == .noSuchGroup)
            #expect(try await bob.groups().isEmpty)
        }
    }

    @Test(arguments: Backend.all)
    func groupOfOneAndLastAdminLeaving(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            try await alice.createGroup("solo", password: "g")
            try await alice.send("talking to myself", toGroup: "solo")
            try await bob.joinGroup("solo", password: "g")
            try await alice.leaveGroup("solo")
            // The group keeps an admin.
            #expect(try await bob.members(of: "solo").map { "\($0.username):\($0.role)" } == ["bob:admin"])
        }
    }

    /// SQLite only: it reads the raw database file.
    @Test func noPlaintextGroupMessageOrPasswordInTheDatabase() async throws {
        try await withNode(on: .sqlite) { node in
            let marker = "group-marker-\(UUID().uuidString)"
            let groupPassword = "group-password-\(UUID().uuidString)"
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            try await alice.createGroup("team", password: groupPassword)
            try await bob.joinGroup("team", password: groupPassword)
            try await alice.send(marker, toGroup: "team")
            var bytes = Data()
            for suffix in ["", "-wal"] {
                if let data = FileManager.default.contents(atPath: node.databasePath + suffix) { bytes.append(data) }
            }
            #expect(bytes.range(of: Data(marker.utf8)) == nil)
            #expect(bytes.range(of: Data(groupPassword.utf8)) == nil)
        }
    }

    @Test(arguments: Backend.all)
    func joinerDoesNotGetEarlierMessages(_ backend: Backend) async throws {
        try await withNode(on: backend) { node in
            let alice = try await node.user("alice")
            let bob = try await node.user("bob")
            try await alice.createGroup("team", password: "g")
            try await alice.send("before bob", toGroup: "team")
            try await bob.joinGroup("team", password: "g")
            try await alice.send("with bob", toGroup: "team")
            #expect(try await bob.nextMessage().text == "with bob")
        }
    }
}

/// alice (admin), bob and carol, all signed in, in group "team" (password "g").
private func team(on node: NodeHarness) async throws -> (ChatClient, ChatClient, ChatClient) {
    let alice = try await node.user("alice")
    let bob = try await node.user("bob")
    let carol = try await node.user("carol")
    try await alice.createGroup("team", password: "g")
    try await bob.joinGroup("team", password: "g")
    try await carol.joinGroup("team", password: "g")
    return (alice, bob, carol)
}

private func mailbox(_ node: NodeHarness, of user: String) async throws -> Int {
    // Test usernames are plain letters: safe to spell out in the SQL, which then reads the same on both databases.
    try await node.database.count("SELECT COUNT(*) FROM mailbox WHERE recipient = '\(user)' AND sender <> '~server'")
}
