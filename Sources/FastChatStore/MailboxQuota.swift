/// How much one recipient's mailbox may hold before new messages to them are refused (`AcceptOutcome.mailboxFull`).
public struct MailboxQuota: Sendable, Hashable {
    public var entries: Int
    public var bytes: Int

    public init(entries: Int, bytes: Int) {
        self.entries = entries
        self.bytes = bytes
    }

    public static let unlimited = MailboxQuota(entries: .max, bytes: .max)
}

/// What a recipient's mailbox holds: entries and their stored bytes.
struct MailboxUsage: Hashable {
    var entries = 0
    var bytes = 0
}

extension IncomingMessage {
    /// The recipients whose mailbox has no room for their copy under the message's quota, given `usage` (what the
    /// store holds, plus what earlier messages of the same batch took). When every one has room, the copies are
    /// counted into `usage` (a copy that turns out a duplicate is counted too: a batch errs on the safe side).
    /// A copy counts with the shared body, as what its recipient will receive, although the body is stored once.
    func fullRecipients(_ usage: inout [String: MailboxUsage]) -> [String] {
        guard quota != .unlimited else { return [] }
        let distinct = distinctCopies
        let bodyBytes = sharedBody?.count ?? 0
        let full = distinct.filter { copy in
            let now = usage[copy.recipient, default: MailboxUsage()]
            return now.entries >= quota.entries || now.bytes > quota.bytes - copy.envelope.count - bodyBytes
        }.map(\.recipient)
        guard full.isEmpty else { return full }
        for copy in distinct {
            usage[copy.recipient, default: MailboxUsage()].entries += 1
            usage[copy.recipient, default: MailboxUsage()].bytes += copy.envelope.count + bodyBytes
        }
        return []
    }

    /// The recipients whose usage `accept` must read first (none without a quota).
    var quotaRecipients: [String] {
        quota == .unlimited ? [] : Array(Set(copies.map(\.recipient))).sorted()
    }

    /// What `accept` answers for a message some recipient has no room for: a repeat is still a duplicate; a new
    /// message is not stored, and its id stays free for a later try.
    static func outcomeWithoutRoom(for full: [String], acceptedBefore: Bool) -> AcceptOutcome {
        acceptedBefore ? .duplicate : .mailboxFull(full)
    }
}
