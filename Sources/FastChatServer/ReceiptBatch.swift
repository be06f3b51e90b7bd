import FastChatProtocol

/// Receipts (✓✓) for senders signed in here, gathered while a commit report or a forward is handled and sent at its
/// end with the rest of its frames (`OutboundBatch`). A sender whose connection speaks `Wire.receiptBatchesVersion`
/// gets its receipts in `Receipts` frames, in order, as many to a frame as `maxPerFrame`; an older one gets a
/// `Receipt` frame each. A group message's members acknowledge it within moments of each other, and without this
/// its sender's connection would be written a frame per member.
struct ReceiptBatch {
    /// Keeps a `Receipts` frame far below any frame limit: a receipt is a 16-byte id and a username.
    static let maxPerFrame = 512

    private var batched = ItemsPerConnection<Fastchat_V1_Receipt>()
    /// `Receipt` frames for the older connections, in the order their receipts came.
    private var singles = OutboundBatch()

    mutating func add(_ receipt: Fastchat_V1_Receipt, for session: Session) {
        if session.receiptsInBatches {
            batched.add(receipt, for: session.outbox)
        } else {
            singles.send(Frame(.receipt(receipt)), to: session.outbox)
        }
    }

    /// Hands every gathered receipt to its connection's event loop, and starts over.
    mutating func send() {
        var frames = singles
        singles = OutboundBatch()
        batched.move(into: &frames, maxPerFrame: Self.maxPerFrame) { receipts in
            Frame(.receipts(.with { $0.receipts = receipts }))
        }
        frames.send()
    }
}
