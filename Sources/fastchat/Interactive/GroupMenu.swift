import FastChatClient
import FastChatProtocol
import Foundation
import Rainbow

/// The main menu's group items: create, join, pick a group and enter its room. Every failure is explained in a
/// sentence and leads back to the menu.
struct GroupMenu {
    let client: ChatClient
    let prompter: Prompter
    let screen: ChatScreen

    func create() async throws {
        guard let group = try await askName("Name of the new group: ") else { return }
        guard let password = try await newPassword(prompt: "Password for the new group \(group): ") else { return }
        await screen.say(ChatStyle.hint("Creating the group…"))
        do {
            try await client.createGroup(group, password: password)
        } catch {
            await screen.say(ChatStyle.problem(Self.explain(error, group: group)))
            return
        }
        await screen.say(ChatStyle.good("Created group @\(group); you are its admin."))
        await screen.say(ChatStyle.hint("Give its name and password to the people who should join."))
    }

    func join() async throws {
        guard let group = try await askName("Group to join: ") else { return }
        let password = try await prompter.askSecret("Password of group \(group): ", from: Self.passwordVariable)
        await screen.say(ChatStyle.hint("Joining…"))
        do {
            try await client.joinGroup(group, password: password)
        } catch {
            await screen.say(ChatStyle.problem(Self.explain(error, group: group)))
            return
        }
        await screen.say(ChatStyle.good("Joined group @\(group). Choose \"Group chat\" to talk there."))
    }

    /// "Group chat": pick one of my groups and open its room.
    func chat() async throws {
        guard let group = try await pick(adminOnly: false) else { return }
        try await GroupRoom(client: client, prompter: prompter, screen: screen, group: group).run()
    }

    /// Lists my groups (with my role in each) and asks for one by number or name; nil when there is none or the
    /// person typed nothing.
    func pick(adminOnly: Bool) async throws -> String? {
        var groups: [GroupSummary]
        do {
            groups = try await client.groups()
        } catch {
            await screen.say(ChatStyle.problem(Self.explain(error, group: "")))
            return nil
        }
        if adminOnly { groups = groups.filter { $0.role == "admin" } }
        guard !groups.isEmpty else {
            let none =
                adminOnly
                ? "You administer no group. Create one to become its admin, or ask an admin to promote you."
                : "You are in no group yet. Create one, or join one whose name and password you know."
            await screen.say(ChatStyle.hint(none))
            return nil
        }
        await screen.say("")
        await screen.say(ChatStyle.heading(adminOnly ? "Groups you administer" : "Your groups"))
        for (number, group) in groups.enumerated() {
            let role = group.role == "admin" ? "admin".bold : TerminalText.safe(group.role)
            await screen.say("  \(number + 1)) @\(TerminalText.safe(group.name)) (\(role))")
        }
        let answer = try await prompter.ask("Group [1-\(groups.count), or Enter to go back]: ")
            .trimmingCharacters(in: .whitespaces)
        guard !answer.isEmpty else { return nil }
        let name = answer.hasPrefix("@") ? String(answer.dropFirst()) : answer
        if let number = Int(answer), groups.indices.contains(number - 1) {
            return groups[number - 1].name
        }
        if let group = groups.first(where: { $0.name == name }) {
            return group.name
        }
        await screen.say(ChatStyle.problem("\(answer) is not one of the groups listed."))
        return nil
    }

    /// Where the scriptable client (and so this one) takes a group password from instead of asking.
    static let passwordVariable = "FASTCHAT_GROUP_PASSWORD"

    /// A new group password, asked twice: a typo nobody could see would keep everyone out of the group.
    func newPassword(prompt: String) async throws -> String? {
        if let password = ProcessInfo.processInfo.environment[Self.passwordVariable] {
            return password
        }
        let password = try await prompter.askSecret(prompt, from: Self.passwordVariable)
        guard !password.isEmpty else {
            await screen.say(ChatStyle.problem("The group password is empty."))
            return nil
        }
        guard try await prompter.askSecret("Type it again: ", from: Self.passwordVariable) == password else {
            await screen.say(ChatStyle.problem("The two passwords do not match."))
            return nil
        }
        return password
    }

    private func askName(_ prompt: String) async throws -> String? {
        var group = try await prompter.ask(prompt).trimmingCharacters(in: .whitespaces)
        if group.hasPrefix("@") { group.removeFirst() }
        guard !group.isEmpty else { return nil }
        if let problem = Names.problem(with: group, kind: "group name") {
            await screen.say(ChatStyle.problem(problem))
            return nil
        }
        return group
    }

    /// One sentence per group outcome, saying what happened and what to do about it.
    static func explain(_ error: any Error, group: String) -> String {
        TerminalText.safe(sentence(for: error, group: group))
    }

    private static func sentence(for error: any Error, group: String) -> String {
        guard let error = error as? ProtocolError else {
            return "Something went wrong: \(error)."
        }
        switch error.code {
        case .noSuchGroup:
            return "There is no group called \(group). Check the spelling, or create it with \"Create a group\"."
        case .incorrectGroupPassword:
            return "Incorrect password for group \(group). Ask one of its members for the current password."
        case .notAMember:
            // The server's sentence says whose membership is missing (mine, a removed member's, the one named).
            let hint =
                error.message.hasPrefix("You are not")
                ? " Join it first with \"Join a group\"." : ""
            return error.message + hint
        case .notAnAdmin:
            return "Only an admin of \(group) can do that. Ask one of its admins to promote you."
        case .groupNameTaken:
            return "The group name \(group) is already taken. Choose another name, or join it if you know its password."
        case .unavailable:
            return "Cannot reach the server: \(error.message)"
        default:
            return error.message
        }
    }
}
