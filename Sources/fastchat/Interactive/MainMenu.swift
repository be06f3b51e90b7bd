import FastChatClient
import FastChatProtocol
import Foundation
import Rainbow

/// The menu shown once signed in. To add an item (images …): add a case, its title, and its branch in
/// `MainMenu.perform` — the compiler points at every place that needs it.
enum MenuItem: Int, CaseIterable {
    case chat = 1
    case readPending
    case createGroup
    case joinGroup
    case groupChat
    case groupAdmin
    case quit

    func title(unread: Int) -> String {
        switch self {
        case .chat: "Chat with a user"
        case .readPending: unread > 0 ? "Read pending messages (\(unread))".bold : "Read pending messages (0)"
        case .createGroup: "Create a group"
        case .joinGroup: "Join a group"
        case .groupChat: "Group chat"
        case .groupAdmin: "Group admin (groups you administer)"
        case .quit: "Quit"
        }
    }

    /// A number, or a word for people who type words.
    init?(answer: String) {
        let answer = answer.trimmingCharacters(in: .whitespaces).lowercased()
        if let number = Int(answer), let item = MenuItem(rawValue: number) {
            self = item
            return
        }
        switch answer {
        case "chat", "c": self = .chat
        case "read", "pending", "r", "inbox": self = .readPending
        case "create", "new": self = .createGroup
        case "join", "j": self = .joinGroup
        case "group", "groups", "g": self = .groupChat
        case "admin", "a": self = .groupAdmin
        case "quit", "q", "exit": self = .quit
        default: return nil
        }
    }
}

struct MainMenu {
    let client: ChatClient
    let prompter: Prompter
    let screen: ChatScreen

    /// Returns when the person chooses Quit.
    func run() async throws {
        while true {
            let unread = await screen.unreadCount
            await screen.say("")
            for item in MenuItem.allCases {
                await screen.say("  \(item.rawValue)) \(item.title(unread: unread))")
            }
            let answer = try await prompter.ask("Choose [1-\(MenuItem.allCases.count)]: ")
            guard let item = MenuItem(answer: answer) else {
                if !answer.isEmpty {
                    await screen.say(ChatStyle.problem("Type a number from 1 to \(MenuItem.allCases.count)."))
                }
                continue
            }
            if item == .quit { return }
            try await perform(item)
        }
    }

    private func perform(_ item: MenuItem) async throws {
        switch item {
        case .chat: try await chat()
        case .readPending: await screen.showInbox()
        case .createGroup: try await groups.create()
        case .joinGroup: try await groups.join()
        case .groupChat: try await groups.chat()
        case .groupAdmin: try await GroupAdminMenu(client: client, prompter: prompter, screen: screen).run()
        case .quit: break
        }
    }

    private var groups: GroupMenu {
        GroupMenu(client: client, prompter: prompter, screen: screen)
    }

    private func chat() async throws {
        let peer = try await prompter.ask("Chat with (username): ").trimmingCharacters(in: .whitespaces)
        guard !peer.isEmpty else { return }
        if let problem = Names.problem(with: peer) {
            await screen.say(ChatStyle.problem(problem))
            return
        }
        let key: PeerKeyStatus
        do {
            key = try await client.whois(peer)
        } catch let error as ProtocolError where error.code == .noSuchUser {
            await screen.say(ChatStyle.problem("There is no user called \(peer)."))
            return
        } catch {
            await screen.say(ChatStyle.problem(SignInFlow.explain(error, user: peer)))
            return
        }
        try await ChatRoom(client: client, prompter: prompter, screen: screen, peer: peer).run(key: key)
    }
}
