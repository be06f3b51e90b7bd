import Foundation

/// A message as a sender hands it to a node, before it is accepted: one copy per recipient. Copies may differ
/// (a group message keeps only each member's own wrapped key in that member's copy).
///
/// A message with a `sharedBody` (a group message) is stored as that body once plus one small row per recipient:
/// a recipient's whole item is their copy's `envelope` followed by the body (`MailboxEntry.envelope`).
public struct IncomingMessage: Sendable, Hashable {
    public struct Copy: Sendable, Hashable {
        public var recipient: String
        /// Opaque ciphertext blob: the recipient's whole item, or with a shared body the part before it.
        public var envelope: Data

        public init(recipient: String, envelope: Data) {
            self.recipient = recipient
            self.envelope = envelope
        }
    }

    public var sender: String
    /// Chosen by the sender, so a retried send is recognised as the same message.
    public var messageID: UUID
    public var copies: [Copy]
    /// The blobs (encrypted images) the message refers to. `accept` takes a new message only if each is a complete
    /// upload of the sender's, and links them to its mailbox entries in the same transaction, so each is kept until
    /// they are acknowledged.
    public var blobs: [UUID]
    /// What each recipient's mailbox may hold with this message in it; checked in the accepting transaction.
    public var quota: MailboxQuota
    /// The bytes every copy ends with, stored once in the accepting transaction (never again for a duplicate) and
    /// deleted with the last entry referring to it. Nil: each copy is whole.
    public var sharedBody: Data?

    public init(
        sender: String, messageID: UUID, copies: [Copy], sharedBody: Data? = nil, blobs: [UUID] = [],
        quota: MailboxQuota = .unlimited
    ) {
        self.sender = sender
        self.messageID = messageID
        self.copies = copies
        self.sharedBody = sharedBody
        self.blobs = blobs
        self.quota = quota
    }

    /// The same envelope for every recipient.
    public init(sender: String, messageID: UUID, recipients: [String], envelope: Data, blobs: [UUID] = []) {
        self.init(
            sender: sender, messageID: messageID, copies: recipients.map { Copy(recipient: $0, envelope: envelope) },
            blobs: blobs)
    }

    /// The links `accept` makes for this message, given its outcome: one per stored entry and blob; for a
    /// duplicate, one per recipient and blob, to the entries of the original still in the mailbox (from seq 0),
    /// since the node that accepted the original may not have linked them (a release before links, or a crash).
    func blobLinks(for outcome: AcceptOutcome) -> [BlobLink] {
        let targets: [(recipient: String, fromSeq: Int64)] =
            switch outcome {
            case .stored(let entries): entries.map { ($0.recipient, $0.seq) }
            case .duplicate: Set(copies.map(\.recipient)).sorted().map { ($0, 0) }
            case .missingImage, .mailboxFull: []
            }
        return Set(blobs).sorted { $0.uuidString < $1.uuidString }.flatMap { blob in
            targets.map {
                BlobLink(blob: blob, sender: sender, messageID: messageID, recipient: $0.recipient, fromSeq: $0.fromSeq)
            }
        }
    }
}

extension IncomingMessage {
    /// Its blobs as they must be found: complete uploads of the sender's.
    var blobKeys: [BlobKey] { blobs.map { BlobKey(id: $0, uploader: sender) } }

    /// What `accept` answers for a message naming a blob that is not there: a repeat is still a duplicate (its
    /// blob may rightly be gone, deleted with the original's last acknowledgement); a new message is not accepted,
    /// since a ✓ would promise an image no recipient can fetch.
    static func outcomeWithoutItsBlobs(acceptedBefore: Bool) -> AcceptOutcome {
        acceptedBefore ? .duplicate : .missingImage
    }
}

/// A blob as a message names it.
struct BlobKey: Hashable {
    var id: UUID
    var uploader: String
}

/// Links a blob to the mailbox entries of `(sender, messageID)` for `recipient` from seq `fromSeq` on, if the blob
/// is complete and `sender` uploaded it (nobody can make another's upload fetchable).
struct BlobLink: Hashable {
    var blob: UUID
    var sender: String
    var messageID: UUID
    var recipient: String
    var fromSeq: Int64
}

/// One message waiting for one recipient until they acknowledge it.
///
/// A group message's entries share one body (`IncomingMessage.sharedBody`): each holds its own bytes and the body
/// apart, so the entries of one message share a single buffer in memory too, and only `envelope` joins them.
public struct MailboxEntry: Sendable {
    /// Strictly increasing across the whole store and never reused, so it doubles as a delivery
    /// cursor and gives per-conversation order.
    public var seq: Int64
    public var recipient: String
    public var sender: String
    public var messageID: UUID
    /// What the entry's own row holds: the whole item, or the part before `sharedBody`.
    public var ownBytes: Data
    /// The body this entry shares with the other recipients of its message, stored once; nil if it has none.
    public var sharedBody: Data?
    public var storedAt: Date

    public init(seq: Int64, recipient: String, sender: String, messageID: UUID, envelope: Data, storedAt: Date) {
        self.init(
            seq: seq, recipient: recipient, sender: sender, messageID: messageID, ownBytes: envelope, sharedBody: nil,
            storedAt: storedAt)
    }

    public init(
        seq: Int64, recipient: String, sender: String, messageID: UUID, ownBytes: Data, sharedBody: Data?,
        storedAt: Date
    ) {
        self.seq = seq
        self.recipient = recipient
        self.sender = sender
        self.messageID = messageID
        self.ownBytes = ownBytes
        self.sharedBody = sharedBody
        self.storedAt = storedAt
    }

    /// The recipient's whole item: the entry's own bytes followed by the shared body. Built on each call.
    public var envelope: Data {
        guard let sharedBody else { return ownBytes }
        var whole = Data(capacity: byteCount)
        whole.append(ownBytes)
        whole.append(sharedBody)
        return whole
    }

    /// `envelope.count`, without building it.
    public var byteCount: Int { ownBytes.count + (sharedBody?.count ?? 0) }
}

/// Entries are equal when they hold the same item, however it is split between own bytes and a shared body.
extension MailboxEntry: Hashable {
    public static func == (lhs: MailboxEntry, rhs: MailboxEntry) -> Bool {
        lhs.seq == rhs.seq && lhs.recipient == rhs.recipient && lhs.sender == rhs.sender
            && lhs.messageID == rhs.messageID && lhs.storedAt == rhs.storedAt && lhs.byteCount == rhs.byteCount
            && lhs.envelope == rhs.envelope
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(seq)
        hasher.combine(recipient)
        hasher.combine(sender)
        hasher.combine(messageID)
        hasher.combine(storedAt)
    }
}

public enum AcceptOutcome: Sendable, Hashable {
    /// Accepted now; one entry per distinct recipient, in the order the recipients were given.
    case stored([MailboxEntry])
    /// This `(sender, messageID)` was accepted before; nothing was stored.
    case duplicate
    /// The message names a blob that is not a complete upload of its sender's (never uploaded, unfinished, or
    /// already swept): nothing was stored and the message id stays free, so a send after a new upload is accepted.
    case missingImage
    /// These recipients' mailboxes have no room under the message's quota: nothing was stored and the message id
    /// stays free.
    case mailboxFull([String])
}

/// One recipient's acknowledgement of some of their entries.
public struct Acknowledgement: Sendable, Hashable {
    public var recipient: String
    public var seqs: [Int64]

    public init(recipient: String, seqs: [Int64]) {
        self.recipient = recipient
        self.seqs = seqs
    }
}

/// What one `commit(acknowledging:accepting:)` did: one result per acknowledgement and one outcome per message, each
/// in the order given.
public struct MailboxCommit: Sendable, Hashable {
    public var acknowledged: [[MailboxEntry]]
    public var accepted: [AcceptOutcome]

    public init(acknowledged: [[MailboxEntry]], accepted: [AcceptOutcome]) {
        self.acknowledged = acknowledged
        self.accepted = accepted
    }

    /// What a commit that writes nothing returns (no message, and no acknowledgement naming a seq), so that a store
    /// answers it without a transaction; nil if there is something to write.
    static func ofNothing(acknowledging acknowledgements: [Acknowledgement], accepting messages: [IncomingMessage])
        -> MailboxCommit?
    {
        guard messages.isEmpty, acknowledgements.allSatisfy(\.seqs.isEmpty) else { return nil }
        return MailboxCommit(acknowledged: acknowledgements.map { _ in [] }, accepted: [])
    }
}

/// A message's identity for the duplicate check: a message is accepted once per sender and id.
public struct AcceptedMessageKey: Hashable, Sendable {
    public var sender: String
    public var messageID: UUID

    public init(sender: String, messageID: UUID) {
        self.sender = sender
        self.messageID = messageID
    }

    /// Below every key a store holds (no username is empty): where a sweep starts.
    static let beforeFirst = AcceptedMessageKey(sender: "", messageID: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
}
