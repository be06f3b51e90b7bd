import Foundation

extension Fastchat_V1_Deliver {
    /// The version-1 push of a stored mailbox item: the item parsed, its envelope or notice set. Nil when the item
    /// does not parse or holds neither.
    public init?(seq: UInt64, item: Data, storedAtMs: Int64) {
        guard let parsed = try? Fastchat_V1_MailboxItem(serializedBytes: item), let content = parsed.item else {
            return nil
        }
        self.init()
        self.seq = seq
        self.storedAtMs = storedAtMs
        switch content {
        case .envelope(let envelope): self.envelope = envelope
        case .notice(let notice): self.notice = notice
        }
    }

    /// The `Deliver` a version-1 connection gets for the same entry as a version-2 `Delivery`; nil for an item a
    /// client handles as a `Deliver` it cannot open.
    public init?(_ delivery: Fastchat_V1_Delivery) {
        self.init(seq: delivery.seq, item: delivery.item, storedAtMs: delivery.storedAtMs)
    }
}
