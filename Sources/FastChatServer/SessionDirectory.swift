import FastChatProtocol
import Foundation
import Synchronization

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
    private var sessions: [String: Session] = [:] {
        didSet { signedIn.store(sessions.count, ordering: .relaxed) }
    }
    /// Read without a hop onto this actor, which message routing keeps busy: the heartbeat reports it.
    private let signedIn = Atomic<Int>(0)

    func register(_ session: Session) {
        sessions[session.username] = session
    }

    func remove(_ session: Session) {
        if sessions[session.username]?.id == session.id {
            sessions[session.username] = nil
        }
    }

    nonisolated var count: Int { signedIn.load(ordering: .relaxed) }

    func session(for username: String) -> Session? {
        sessions[username]
    }

    var usernames: [String] { Array(sessions.keys) }

    var all: [Session] { Array(sessions.values) }
}
