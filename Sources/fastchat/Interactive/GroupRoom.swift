import FastChatClient
import FastChatProtocol
import Foundation

/// A group's chat room: typed lines go to every current member, the screen prints the group's messages and notices
/// as they arrive, `/members` shows who is in, `/quit` goes back.
struct GroupRoom {
    let client: ChatClient
    let prompter: Prompter
    let screen: ChatScreen
    let group: String

    func run() async throws {
        // Fetched before the room opens: someone no longer a member is told so in the menu, not in an empty room.
        let members: [GroupMemberInfo]
        do {
            members = try await client.members(of: group)
        } catch {
            await screen.say(ChatStyle.problem(GroupMenu.explain(error, group: group)))
            return
        }
        await screen.say("")
        await screen.say(ChatStyle.heading("Group @\(group)"))
        await screen.say(membersLine(members))
        await screen.say(ChatStyle.hint("Type a message and press Enter to send it to everyone. /help explains."))
        await screen.enterRoom(.group(group))
        while true {
            switch RoomInput(try await prompter.nextLine()) {
            case .nothing:
                continue
            case .quit:
                await screen.enterMenu()
                return
            case .help:
                await screen.say(ChatStyle.hint(Self.help))
            case .image(let path, let caption):
                await ImageCommand.send(path, caption: caption, to: .group(group), client: client, screen: screen)
            case .command("/members"), .command("/m"):
                await showMembers()
            case .command(let command):
                await screen.say(ChatStyle.problem("Unknown command \(command). \(Self.help)"))
            case .text(let text):
                try await send(text)
            }
        }
    }

    private static let help =
        ImageCommand.help + " "
        + "/members lists who is in the group, /quit leaves the room. Start a message with // to send a line beginning "
        + "with /. ✓ = the server has stored it for every member."

    private func showMembers() async {
        do {
            await screen.say(membersLine(try await client.members(of: group)))
        } catch {
            await screen.say(ChatStyle.problem(GroupMenu.explain(error, group: group)))
        }
    }

    private func membersLine(_ members: [GroupMemberInfo]) -> String {
        ChatStyle.hint("Members (\(members.count)): ") + ChatStyle.members(members)
    }

    private func send(_ text: String) async throws {
        let id = UUID()
        await screen.sending(id, text: text, to: .group(group), at: Date())
        do {
            try await client.send(text, toGroup: group, id: id)
            await screen.accepted(id)
        } catch let changed as PeerKeyChanged {
            await screen.notSent(id, reason: "\(TerminalText.safe(changed.peer))'s key changed")
            if try await KeyChangePrompt.askToTrust(changed, client: client, prompter: prompter, screen: screen) {
                try await send(text)
            }
        } catch {
            await screen.notSent(id, reason: GroupMenu.explain(error, group: group))
        }
    }
}
