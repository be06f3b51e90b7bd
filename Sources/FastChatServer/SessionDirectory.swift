import FastChatProtocol
import Foundation
import Synchronization

/// A signed-in user on this node: where their pushes go.
final class Session: Sendable {
    let id = UUID()
    let username: String
    let outbox: Outbox
    let delivery: MailboxDelivery
    /// The connection takes receipts in `Receipts` frames (`Wire.receiptBatchesVersion`).
    let receiptsInBatches: Bool

    init(username: String, outbox: Outbox, delivery: MailboxDelivery, receiptsInBatches: Bool = false) {
        self.username = username
        self.outbox = outbox
        self.delivery = delivery
        self.receiptsInBatches = receiptsInBatches
    }
}

/// The users signed in on this node. The store's session table says who is signed in anywhere; this says how to
/// reach those who are here.
///
/// Read on every routed entry and receipt, from whichever task reports a commit: a map behind a mutex, read
/// synchronously, because an actor here cost every message a hop onto it (and a wait behind every other
/// message's). Each access holds the lock for one dictionary operation and nothing that can suspend.
final class SessionDirectory: Sendable {
    private let sessions = Mutex<[String: Session]>([:])

    func register(_ session: Session) {
        sessions.withLock { $0[session.username] = session }
    }

    /// Removes `session` unless the user has signed in again since (a newer session under the same name stays).
    func remove(_ session: Session) {
        sessions.withLock { sessions in
            if sessions[session.username]?.id == session.id { sessions[session.username] = nil }
        }
    }

    var count: Int { sessions.withLock { $0.count } }

    func session(for username: String) -> Session? {
        sessions.withLock { $0[username] }
    }

    /// The sessions of those of `usernames` signed in here, under one acquisition of the lock.
    func sessions(for usernames: some Sequence<String>) -> [String: Session] {
        sessions.withLock { sessions in
            var found: [String: Session] = [:]
            for username in usernames { found[username] = sessions[username] }
            return found
        }
    }

    var usernames: [String] { sessions.withLock { Array($0.keys) } }

    var all: [Session] { sessions.withLock { Array($0.values) } }
}
