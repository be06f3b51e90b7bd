import FastChatClient
import FastChatProtocol
import Foundation

/// The admin powers over one group the person administers. The server checks every one of them; this menu only
/// offers them, and explains a refusal (e.g. the person was demoted or removed meanwhile).
struct GroupAdminMenu {
    private enum Action: Int, CaseIterable {
        case members = 1
        case remove
        case unban
        case promote
        case password
        case delete
        case back

        var title: String {
            switch self {
            case .members: "List members"
            case .remove: "Remove a member (they cannot rejoin until unbanned)"
            case .unban: "Unban a removed member"
            case .promote: "Promote a member to admin"
            case .password: "Change the group password"
            case .delete: "Delete the group"
            case .back: "Back"
            }
        }

        /// A number, or a word for people who type words.
        init?(answer: String) {
            let answer = answer.trimmingCharacters(in: .whitespaces).lowercased()
            if let number = Int(answer), let action = Action(rawValue: number) {
                self = action
                return
            }
            switch answer {
            case "members", "list", "m": self = .members
            case "remove", "kick", "r": self = .remove
            case "unban", "u": self = .unban
            case "promote", "p": self = .promote
            case "password", "pw": self = .password
            case "delete": self = .delete
            case "back", "b", "quit", "q": self = .back
            default: return nil
            }
        }
    }

    let client: ChatClient
    let prompter: Prompter
    let screen: ChatScreen

    /// Picks a group I administer, then offers its powers until Back (or the group is gone).
    func run() async throws {
        let groups = GroupMenu(client: client, prompter: prompter, screen: screen)
        guard let group = try await groups.pick(adminOnly: true) else { return }
        while true {
            await screen.say("")
            await screen.say(ChatStyle.heading("Admin of @\(group)"))
            for action in Action.allCases {
                await screen.say("  \(action.rawValue)) \(action.title)")
            }
            let answer = try await prompter.ask("Choose [1-\(Action.allCases.count)]: ")
            guard let action = Action(answer: answer) else {
                if !answer.isEmpty {
                    await screen.say(ChatStyle.problem("Type a number from 1 to \(Action.allCases.count)."))
                }
                continue
            }
            if action == .back { return }
            let stillThere = try await perform(action, on: group, groups: groups)
            if !stillThere { return }
        }
    }

    /// False once the group no longer exists (deleted here), so the menu closes.
    private func perform(_ action: Action, on group: String, groups: GroupMenu) async throws -> Bool {
        switch action {
        case .members:
            await attempt(group) {
                let members = try await client.members(of: group)
                await screen.say(ChatStyle.hint("Members (\(members.count)): ") + ChatStyle.members(members))
            }
        case .remove:
            guard let member = try await askMember("Remove", from: group, excludingAdmins: false) else { break }
            await attempt(group) {
                try await client.removeMember(member, from: group)
                await screen.say(ChatStyle.good("Removed \(member) from @\(group); they cannot rejoin until unbanned."))
            }
        case .unban:
            // Removed members are not listed anywhere the client can see, so the name is typed.
            guard let member = try await askName("Unban (username): ") else { break }
            await attempt(group) {
                try await client.unban(member, in: group)
                await screen.say(ChatStyle.good("\(member) may join @\(group) again (with its password)."))
            }
        case .promote:
            guard let member = try await askMember("Promote", from: group, excludingAdmins: true) else { break }
            await attempt(group) {
                try await client.promote(member, in: group)
                await screen.say(ChatStyle.good("\(member) is now an admin of @\(group)."))
            }
        case .password:
            let prompt = "New password for group \(group): "
            guard let password = try await groups.newPassword(prompt: prompt) else { break }
            await attempt(group) {
                try await client.changeGroupPassword(group, to: password)
                await screen.say(ChatStyle.good("Changed the password of @\(group); members stay in."))
            }
        case .delete:
            let confirmation = try await prompter.ask("Delete @\(group) for everyone? Type its name to confirm: ")
            guard confirmation.trimmingCharacters(in: .whitespaces) == group else {
                await screen.say(ChatStyle.hint("Not deleted."))
                break
            }
            var deleted = false
            await attempt(group) {
                try await client.deleteGroup(group)
                deleted = true
                await screen.say(ChatStyle.good("Deleted group @\(group)."))
            }
            return !deleted
        case .back:
            break
        }
        return true
    }

    /// Runs one admin request and explains a refusal instead of ending the session.
    private func attempt(_ group: String, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            await screen.say(ChatStyle.problem(GroupMenu.explain(error, group: group)))
        }
    }

    /// Lists the members one may act on (never oneself) and asks for one by number or name.
    private func askMember(_ verb: String, from group: String, excludingAdmins: Bool) async throws -> String? {
        let me = await client.username
        var candidates: [GroupMemberInfo] = []
        do {
            candidates = try await client.members(of: group).filter {
                $0.username != me && !(excludingAdmins && $0.role == "admin")
            }
        } catch {
            await screen.say(ChatStyle.problem(GroupMenu.explain(error, group: group)))
            return nil
        }
        guard !candidates.isEmpty else {
            await screen.say(ChatStyle.hint("There is nobody in @\(group) you could \(verb.lowercased())."))
            return nil
        }
        for (number, member) in candidates.enumerated() {
            await screen.say("  \(number + 1)) \(member.username)\(member.role == "admin" ? " (admin)" : "")")
        }
        let answer = try await prompter.ask("\(verb) [1-\(candidates.count) or a username, Enter to cancel]: ")
            .trimmingCharacters(in: .whitespaces)
        if let number = Int(answer), candidates.indices.contains(number - 1) {
            return candidates[number - 1].username
        }
        return await validated(answer)
    }

    private func askName(_ prompt: String) async throws -> String? {
        try await validated(prompter.ask(prompt).trimmingCharacters(in: .whitespaces))
    }

    private func validated(_ name: String) async -> String? {
        guard !name.isEmpty else { return nil }
        if let problem = Names.problem(with: name) {
            await screen.say(ChatStyle.problem(problem))
            return nil
        }
        return name
    }
}
