import FastChatClient

/// Who an open room is with: one person, or a group. The screen uses it to decide which incoming messages are
/// printed as part of the room and which are set apart as notices.
enum Conversation: Equatable, Sendable {
    case user(String)
    case group(String)

    /// A group message from bob belongs to the group's room, never to the 1:1 room with bob.
    func contains(_ message: ReceivedMessage) -> Bool {
        switch self {
        case .user(let peer): message.group == nil && message.from == peer
        case .group(let name): message.group == name
        }
    }

    /// How an outgoing line names where it went: "bob" or "@team".
    var label: String {
        switch self {
        case .user(let peer): peer
        case .group(let name): "@\(name)"
        }
    }

    var isGroup: Bool {
        if case .group = self { return true }
        return false
    }
}
