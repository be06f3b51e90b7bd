import Foundation

// A group message's body is stored once (`IncomingMessage.sharedBody`), with one small row per recipient; what the
// stores do with it beyond their SQL lives here.

extension IncomingMessage {
    /// The entry `accept` returns for `copy` stored at `seq`: it shares the message's body buffer.
    func entry(for copy: Copy, seq: Int64, storedAt: Date) -> MailboxEntry {
        MailboxEntry(
            seq: seq, recipient: copy.recipient, sender: sender, messageID: messageID, ownBytes: copy.envelope,
            sharedBody: bodyToStore, storedAt: storedAt)
    }

    /// The body `accept` stores for a new message: none without entries to refer to it.
    var bodyToStore: Data? { copies.isEmpty ? nil : sharedBody }

    /// The copies that get an entry: the first for each distinct recipient, in order.
    var distinctCopies: [Copy] {
        var seen = Set<String>()
        return copies.filter { seen.insert($0.recipient).inserted }
    }
}

/// The body a stored entry shares with the other entries of its message, as the stores key it.
struct SharedBodyKey: Hashable {
    var sender: String
    var messageID: UUID

    /// Nil for an entry with no shared body.
    init?(_ entry: MailboxEntry) {
        guard entry.sharedBody != nil else { return nil }
        sender = entry.sender
        messageID = entry.messageID
    }
}

/// What the mailbox holds on disk, as tests measure it: the shared bodies, and every entry's own bytes.
struct MailboxStorage: Hashable {
    var bodies: Int
    var bodyBytes: Int
    var entryBytes: Int
}

/// A store whose mailbox storage tests can measure.
protocol MailboxStorageInspecting {
    func mailboxStorage() async throws -> MailboxStorage
}
