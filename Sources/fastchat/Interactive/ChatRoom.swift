import FastChatClient
import FastChatProtocol
import Foundation

/// A conversation with one peer: typed lines are sent, the screen prints what arrives, `/quit` goes back.
struct ChatRoom {
    let client: ChatClient
    let prompter: Prompter
    let screen: ChatScreen
    let peer: String

    func run(key: PeerKeyStatus) async throws {
        await screen.say("")
        await screen.say(ChatStyle.heading("Chat with \(peer)"))
        await screen.say(ChatStyle.hint("Type a message and press Enter to send it. /quit leaves, /help explains."))
        await screen.say(keyLine(key))
        await screen.enterRoom(.user(peer))
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
                await ImageCommand.send(path, caption: caption, to: .user(peer), client: client, screen: screen)
            case .command(let command):
                await screen.say(ChatStyle.problem("Unknown command \(command). \(Self.help)"))
            case .text(let text):
                try await send(text)
            }
        }
    }

    private static let help =
        ImageCommand.help + " "
        + "/quit leaves the chat. Start a message with // to send a line beginning with /. "
        + "✓ = the server has stored it, ✓✓ = it reached the recipient."

    private func send(_ text: String) async throws {
        let id = UUID()
        await screen.sending(id, text: text, to: .user(peer), at: Date())
        do {
            try await client.send(text, to: peer, id: id)
            await screen.accepted(id)
        } catch let changed as PeerKeyChanged {
            await screen.notSent(id, reason: "\(peer)'s key changed")
            if try await KeyChangePrompt.askToTrust(changed, client: client, prompter: prompter, screen: screen) {
                try await send(text)
            }
        } catch {
            let reason = TerminalText.safe((error as? ProtocolError)?.message ?? "\(error)")
            await screen.notSent(id, reason: reason)
        }
    }

    private func keyLine(_ key: PeerKeyStatus) -> String {
        let state =
            if key.changed {
                ChatStyle.problem("CHANGED since you last talked — see the warning above")
            } else if key.wasPinned {
                ChatStyle.good("matches the key pinned before")
            } else {
                "first contact, pinned now — compare it with \(peer) to be sure"
            }
        return ChatStyle.hint("\(peer)'s key: \(key.fingerprint)") + " (\(state))"
    }
}
