import Foundation

/// A message opened and verified by the client.
public struct ReceivedMessage: Sendable, Hashable {
    public var id: UUID
    /// Mailbox position; acknowledging it deletes the message from the server.
    public var seq: UInt64
    public var from: String
    /// The recipient of a 1:1 message; nil for a group message.
    public var to: String?
    /// The group of a group message.
    public var group: String?
    /// For a message with an image: its caption (may be empty).
    public var text: String
    /// The absolute path the attached image was saved to, under `<home>/<user>/downloads/`.
    public var image: String?
    public var sentAt: Date
    /// True when the sender's key is the one pinned for them before this message (false right after a key change).
    public var verified: Bool
}

/// Something the server says about a group: joined, left, removed, unbanned, promoted, password_changed, deleted.
public struct GroupNotice: Sendable, Hashable {
    public var seq: UInt64
    public var group: String
    public var event: String
    /// Whom it is about (nil for password_changed and deleted).
    public var member: String?
    public var by: String
    public var at: Date
}

public enum ClientEvent: Sendable {
    case message(ReceivedMessage)
    /// Acknowledge it with `acknowledge(_:)` once shown.
    case notice(GroupNotice)
    /// The recipient has the message (✓✓).
    case delivered(messageID: UUID, recipient: String)
    /// A peer's identity key differs from the one pinned on first use. Loud on purpose.
    case keyChanged(peer: String, oldFingerprint: String, newFingerprint: String)
    /// A message that failed verification or decryption; it is acknowledged (it can never be opened) and not shown.
    case rejected(from: String, reason: String)
    /// A message with an image that could not be saved on this machine (disk full, downloads directory not
    /// writable). It is not acknowledged, so the next sign-in delivers it again; not shown meanwhile.
    case imageNotSaved(ImageNotSaved)
    /// Everything pending at sign-in has been delivered.
    case synced(pending: Int)
    case disconnected(reason: String)
    /// Failed over: signed in again, on `node`, after the previous node went away.
    case reconnected(node: String)
    /// An incoming image of over 1 MiB is being downloaded: `fraction` of it has arrived.
    case downloading(fileName: String, fraction: Double)
    /// A client that reconnects gave up (no node took it back in time). Final.
    case connectionLost(reason: String)
}

/// What `whois` reports.
public struct PeerKeyStatus: Sendable, Hashable {
    public var username: String
    public var fingerprint: String
    /// Whether the key matched a pin made earlier (false: pinned just now, on first use).
    public var wasPinned: Bool
    public var changed: Bool
}
