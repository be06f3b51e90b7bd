import Foundation

/// A message as a sender hands it to a node, before it is accepted: one copy per recipient. Copies may differ
/// (a group message keeps only each member's own wrapped key in that member's copy).
public struct IncomingMessage: Sendable, Hashable {
    public struct Copy: Sendable, Hashable {
        public var recipient: String
        /// Opaque ciphertext blob.
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

    public init(sender: String, messageID: UUID, copies: [Copy]) {
        self.sender = sender
        self.messageID = messageID
        self.copies = copies
    }

    /// The same envelope for every recipient.
    public init(sender: String, messageID: UUID, recipients: [String], envelope: Data) {
        self.init(sender: sender, messageID: messageID, copies: recipients.map { Copy(recipient: $0, envelope: envelope) })
    }
}

/// One message waiting for one recipient until they acknowledge it.
public struct MailboxEntry: Sendable, Hashable {
    /// Strictly increasing across the whole store and never reused, so it doubles as a delivery
    /// cursor and gives per-conversation order.
    public var seq: Int64
    public var recipient: String
    public var sender: String
    public var messageID: UUID
    public var envelope: Data
    public var storedAt: Date

    public init(seq: Int64, recipient: String, sender: String, messageID: UUID, envelope: Data, storedAt: Date) {
        self.seq = seq
        self.recipient = recipient
        self.sender = sender
        self.messageID = messageID
        self.envelope = envelope
        self.storedAt = storedAt
    }
}

public enum AcceptOutcome: Sendable, Hashable {
    /// Accepted now; one entry per distinct recipient, in the order the recipients were given.
    case stored([MailboxEntry])
    /// This `(sender, messageID)` was accepted before; nothing was stored.
    case duplicate
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
