import FastChatProtocol
import Foundation

/// A signed-in user on this node: where their pushes go.
final class Session: Sendable {
    let id = UUID()
    let username: String
    let outbox: Outbox
    let delivery: MailboxDelivery

    init(username: String, outbox: Outbox, delivery: MailboxDelivery) {
        self.username = username
        self.outbox = outbox
        self.delivery = delivery
    }
}

/// The users signed in on this node. The store's session table says who is signed in anywhere; this says how to
/// reach those who are here.
actor SessionDirectory {
    private var sessions: [String: Session] = [:]

    func register(_ session: Session) {
        sessions[session.username] = session
    }

    func remove(_ session: Session) {
        if sessions[session.username]?.id == session.id {
            sessions[session.username] = nil
        }
    }

    func session(for username: String) -> Session? {
        sessions[username]
    }

    var count: Int { sessions.count }

    var usernames: [String] { Array(sessions.keys) }

    var all: [Session] { Array(sessions.values) }
}
