import Foundation

/// A message opened and verified by the client.
public struct ReceivedMessage: Sendable, Hashable {
    public var id: UUID
    /// Mailbox position; acknowledging it deletes the message from the server.
    public var seq: UInt64
    public var from: String
    public var to: String
    public var text: String
    public var sentAt: Date
    /// True when the sender's key is the one pinned for them before this message (false right after a key change).
    public var verified: Bool
}

public enum ClientEvent: Sendable {
    case message(ReceivedMessage)
    /// The recipient has the message (✓✓).
    case delivered(messageID: UUID, recipient: String)
    /// A peer's identity key differs from the one pinned on first use. Loud on purpose.
    case keyChanged(peer: String, oldFingerprint: String, newFingerprint: String)
    /// A message that failed verification or decryption; it is acknowledged (it can never be opened) and not shown.
    case rejected(from: String, reason: String)
    /// Everything pending at sign-in has been delivered.
    case synced(pending: Int)
    case disconnected(reason: String)
}

/// What `whois` reports.
public struct PeerKeyStatus: Sendable, Hashable {
    public var username: String
    public var fingerprint: String
    /// Whether the key matched a pin made earlier (false: pinned just now, on first use).
    public var wasPinned: Bool
    public var changed: Bool
}
