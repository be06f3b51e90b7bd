import FastChatStore
import Foundation
import Testing

extension ChatStoreContract {
    static func createGroupMakesCreatorAdmin(_ context: ContractContext) async throws {
        let store = try await context.open()
        let team = Fixtures.group("team", by: "alice")
        try await store.createGroup(team)

        #expect(try await store.group(named: "team") == team)
        #expect(try await store.members(of: "team") == [
            GroupMember(username: "alice", role: .admin, joinedAt: team.createdAt),
        ])
        #expect(try await store.groups(of: "alice") == [GroupMembership(group: "team", role: .admin)])
        #expect(try await store.group(named: "nothing") == nil)
    }

    static func takenGroupName(_ context: ContractContext) async throws {
        let store = try await context.open()
        let original = Fixtures.group("team", by: "alice")
        try await store.createGroup(original)
        await #expect(throws: StoreError.groupNameTaken) {
            try await store.createGroup(Fixtures.group("team", by: "bob"))
        }
        #expect(try await store.group(named: "team") == original, "the first group is untouched")
        #expect(try await store.members(of: "team").map(\.username) == ["alice"])
        #expect(try await store.groups(of: "bob").isEmpty)

        try await store.createGroup(Fixtures.group("Team", by: "bob"))
        #expect(try await store.group(named: "Team")?.createdBy == "bob", "group names are case-sensitive")
        #expect(try await store.group(named: "TEAM") == nil)
    }

    static func joinAndAlreadyMember(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.createGroup(Fixtures.group("team", by: "alice"))
        #expect(try await store.join(group: "team", username: "carol") == .joined)
        #expect(try await store.join(group: "team", username: "bob") == .joined)
        #expect(try await store.join(group: "team", username: "bob") == .alreadyMember)
        #expect(try await store.join(group: "team", username: "alice") == .alreadyMember)

        let members = try await store.members(of: "team")
        #expect(members.map(\.username).first == "alice")
        #expect(Set(members.map(\.username)) == ["alice", "bob", "carol"])
        #expect(members == members.sorted { ($0.joinedAt, $0.username) < ($1.joinedAt, $1.username) })
        #expect(members.first?.role == .admin, "rejoining keeps the admin role")
        #expect(members.dropFirst().allSatisfy { $0.role == .member && $0.joinedAt > Fixtures.createdAt })
    }

    static func joinUnknownGroup(_ context: ContractContext) async throws {
        let store = try await context.open()
        await #expect(throws: StoreError.noSuchGroup) {
            try await store.join(group: "nothing", username: "bob")
        }
        #expect(try await store.groups(of: "bob").isEmpty)
    }

    static func removeBansUntilUnban(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.createGroup(Fixtures.group("team", by: "alice"))
        try await store.createGroup(Fixtures.group("other", by: "alice"))
        _ = try await store.join(group: "team", username: "bob")
        _ = try await store.join(group: "other", username: "bob")

        #expect(try await store.remove(group: "team", member: "bob", by: "alice"))
        #expect(try await store.members(of: "team").map(\.username) == ["alice"])
        #expect(try await store.groups(of: "bob") == [GroupMembership(group: "other", role: .member)])
        #expect(try await store.join(group: "team", username: "bob") == .banned)
        #expect(try await store.join(group: "team", username: "bob") == .banned)
        #expect(try await store.members(of: "team").map(\.username) == ["alice"])
        #expect(try await store.remove(group: "team", member: "bob", by: "alice") == false, "not a member")
        #expect(try await store.join(group: "other", username: "carol") == .joined, "bans are per group")

        #expect(try await store.unban(group: "team", member: "bob"))
        #expect(try await store.unban(group: "team", member: "bob") == false)
        #expect(try await store.join(group: "team", username: "bob") == .joined)

        // Removing a non-member changes nothing, so it bans nobody.
        #expect(try await store.remove(group: "team", member: "dave", by: "alice") == false)
        #expect(try await store.unban(group: "team", member: "dave") == false)
        #expect(try await store.join(group: "team", username: "dave") == .joined)
        #expect(try await store.remove(group: "nothing", member: "dave", by: "alice") == false)
        #expect(try await store.unban(group: "nothing", member: "dave") == false)
    }

    static func leaveGroup(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.createGroup(Fixtures.group("team", by: "alice"))
        _ = try await store.join(group: "team", username: "bob")

        #expect(try await store.leave(group: "team", username: "bob"))
        #expect(try await store.leave(group: "team", username: "bob") == false)
        #expect(try await store.leave(group: "nothing", username: "bob") == false)
        #expect(try await store.groups(of: "bob").isEmpty)
        #expect(try await store.join(group: "team", username: "bob") == .joined, "leaving is no ban")

        // Policy (such as keeping an admin) is the server's: the store lets the last admin leave.
        #expect(try await store.leave(group: "team", username: "alice"))
        #expect(try await store.members(of: "team").map(\.username) == ["bob"])
        #expect(try await store.group(named: "team") != nil)
    }

    static func setRoleOfMembersOnly(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.createGroup(Fixtures.group("team", by: "alice"))
        _ = try await store.join(group: "team", username: "bob")

        #expect(try await store.setRole(group: "team", member: "bob", role: .admin))
        #expect(try await store.setRole(group: "team", member: "bob", role: .admin), "already admin")
        #expect(try await store.groups(of: "bob") == [GroupMembership(group: "team", role: .admin)])
        #expect(try await store.setRole(group: "team", member: "alice", role: .member))
        #expect(try await store.members(of: "team").map(\.role) == [.member, .admin])

        #expect(try await store.setRole(group: "team", member: "carol", role: .admin) == false)
        #expect(try await store.setRole(group: "nothing", member: "bob", role: .admin) == false)
        #expect(try await store.members(of: "team").map(\.username) == ["alice", "bob"])
    }

    static func setGroupPasswordChangesLoginKey(_ context: ContractContext) async throws {
        let store = try await context.open()
        let original = Fixtures.group("team", by: "alice")
        try await store.createGroup(original)

        let key = Fixtures.bytes(32)
        #expect(try await store.setGroupPassword(group: "team", loginKey: key, kdfLog2N: 16, kdfR: 9, kdfP: 2))
        var expected = original
        expected.verifier = .loginKey(key)
        expected.kdfLog2N = 16
        expected.kdfR = 9
        expected.kdfP = 2
        #expect(try await store.group(named: "team") == expected)
        #expect(try await store.members(of: "team").map(\.username) == ["alice"], "members stay")

        #expect(try await store.setGroupPassword(
            group: "nothing", loginKey: key, kdfLog2N: 16, kdfR: 9, kdfP: 2) == false)
        #expect(try await store.group(named: "nothing") == nil)

        // A group made before login keys gets one from a password change too.
        try await store.createGroup(Fixtures.group("old", by: "alice", legacy: true))
        #expect(try await store.setGroupPassword(group: "old", loginKey: key, kdfLog2N: 15, kdfR: 8, kdfP: 1))
        #expect(try await store.group(named: "old")?.verifier == .loginKey(key))
    }

    static func legacyGroupUpgradesOnce(_ context: ContractContext) async throws {
        let store = try await context.open()
        let original = Fixtures.group("team", by: "alice", legacy: true)
        try await store.createGroup(original)
        #expect(try await store.group(named: "team") == original, "a legacy hash reads back as one")
        guard case .legacyHash(let hash) = original.verifier else { return }

        let key = Fixtures.bytes(32)
        #expect(try await store.upgradeGroupLogin(group: "team", legacyHash: "scrypt$other", loginKey: key) == false)
        #expect(try await store.upgradeGroupLogin(group: "team", legacyHash: hash, loginKey: key))
        var expected = original
        expected.verifier = .loginKey(key)
        #expect(try await store.group(named: "team") == expected)
        #expect(try await store.upgradeGroupLogin(group: "team", legacyHash: hash, loginKey: Fixtures.bytes(32)) == false)
        #expect(try await store.group(named: "team") == expected, "a second upgrade changes nothing")
        #expect(try await store.upgradeGroupLogin(group: "nothing", legacyHash: hash, loginKey: key) == false)
        #expect(try await store.members(of: "team").map(\.username) == ["alice"], "members stay")
    }

    static func deleteGroupRemovesEverything(_ context: ContractContext) async throws {
        let store = try await context.open()
        try await store.createGroup(Fixtures.group("team", by: "alice"))
        try await store.createGroup(Fixtures.group("other", by: "bob"))
        for name in ["bob", "carol", "dave"] {
            _ = try await store.join(group: "team", username: name)
        }
        _ = try await store.join(group: "other", username: "carol")
        _ = try await store.remove(group: "team", member: "dave", by: "alice")
        _ = try await store.setRole(group: "team", member: "carol", role: .admin)
        let before = try await store.members(of: "team")

        let deleted = try await store.deleteGroup("team")
        #expect(deleted == before)
        #expect(deleted.map(\.username).sorted() == ["alice", "bob", "carol"])
        #expect(try await store.group(named: "team") == nil)
        #expect(try await store.members(of: "team").isEmpty)
        #expect(try await store.groups(of: "alice").isEmpty)
        #expect(try await store.groups(of: "carol") == [GroupMembership(group: "other", role: .member)])
        #expect(try await store.members(of: "other").map(\.username) == ["bob", "carol"], "others untouched")
        #expect(try await store.deleteGroup("team").isEmpty)
        #expect(try await store.deleteGroup("nothing").isEmpty)

        // The name is free again, and nothing of the old group carries over.
        let again = Fixtures.group("team", by: "bob")
        try await store.createGroup(again)
        #expect(try await store.group(named: "team") == again)
        #expect(try await store.members(of: "team") == [
            GroupMember(username: "bob", role: .admin, joinedAt: again.createdAt),
        ])
        #expect(try await store.unban(group: "team", member: "dave") == false)
        #expect(try await store.join(group: "team", username: "dave") == .joined)
        #expect(try await store.join(group: "team", username: "carol") == .joined)
    }

    static func groupsOfUserListsRolesByName(_ context: ContractContext) async throws {
        let store = try await context.open()
        for name in ["zeta", "alpha", "Mid"] {
            try await store.createGroup(Fixtures.group(name, by: "owner"))
        }
        try await store.createGroup(Fixtures.group("beta", by: "alice"))
        _ = try await store.join(group: "zeta", username: "alice")
        _ = try await store.join(group: "alpha", username: "alice")
        _ = try await store.setRole(group: "alpha", member: "alice", role: .admin)

        let expected = [
            GroupMembership(group: "alpha", role: .admin),
            GroupMembership(group: "beta", role: .admin),
            GroupMembership(group: "zeta", role: .member),
        ]
        #expect(try await store.groups(of: "alice") == expected)
        #expect(try await store.groups(of: "owner").map(\.group) == ["Mid", "alpha", "zeta"], "binary name order")
        #expect(try await store.groups(of: "nobody").isEmpty)
    }

    static func membersOfUnknownGroupIsEmpty(_ context: ContractContext) async throws {
        let store = try await context.open()
        #expect(try await store.members(of: "nothing").isEmpty)
        try await store.createGroup(Fixtures.group("team", by: "alice"))
        #expect(try await store.members(of: "Team").isEmpty)
    }

    /// Two nodes letting the same users join at the same time: each join lands exactly once.
    static func concurrentJoinsHaveOneWinner(_ context: ContractContext) async throws {
        let stores = [try await context.open(), try await context.open()]
        try await stores[0].createGroup(Fixtures.group("team", by: "alice"))
        let users = (0..<20).map { "user\($0)" }
        let outcomes = try await withThrowingTaskGroup(of: (String, GroupJoinOutcome).self) { group in
            for user in users {
                for store in stores {
                    group.addTask { (user, try await store.join(group: "team", username: user)) }
                }
            }
            return try await group.reduce(into: [String: [GroupJoinOutcome]]()) { outcomes, result in
                outcomes[result.0, default: []].append(result.1)
            }
        }
        #expect(outcomes.count == users.count)
        #expect(outcomes.values.allSatisfy { $0.count == 2 && $0.contains(.joined) && $0.contains(.alreadyMember) })
        #expect(try await stores[1].members(of: "team").count == users.count + 1)
    }

    /// Groups, roles, bans and passwords survive a restart, and another connection sees them.
    static func reopenKeepsGroups(_ context: ContractContext) async throws {
        let first = try await context.open()
        let team = Fixtures.group("team", by: "alice")
        try await first.createGroup(team)
        _ = try await first.join(group: "team", username: "bob")
        _ = try await first.join(group: "team", username: "carol")
        _ = try await first.join(group: "team", username: "dave")
        _ = try await first.setRole(group: "team", member: "bob", role: .admin)
        _ = try await first.remove(group: "team", member: "carol", by: "alice")
        _ = try await first.leave(group: "team", username: "dave")
        let changed = Fixtures.bytes(32)
        _ = try await first.setGroupPassword(group: "team", loginKey: changed, kdfLog2N: 14, kdfR: 8, kdfP: 1)
        try await first.createGroup(Fixtures.group("gone", by: "alice"))
        _ = try await first.deleteGroup("gone")
        let members = try await first.members(of: "team")
        #expect(members.map(\.username) == ["alice", "bob"] && members.allSatisfy { $0.role == .admin })
        try await first.close()

        for _ in 0..<2 {
            let store = try await context.open()
            #expect(try await store.group(named: "team")?.verifier == .loginKey(changed))
            #expect(try await store.group(named: "team")?.createdAt == team.createdAt)
            #expect(try await store.members(of: "team") == members)
            #expect(try await store.groups(of: "bob") == [GroupMembership(group: "team", role: .admin)])
            #expect(try await store.group(named: "gone") == nil)
            #expect(try await store.join(group: "team", username: "carol") == .banned)
            #expect(try await store.join(group: "team", username: "alice") == .alreadyMember)
            await #expect(throws: StoreError.groupNameTaken) {
                try await store.createGroup(Fixtures.group("team", by: "eve"))
            }
            try await store.close()
        }
    }
}
