import FastChatProtocol

/// Receipts (✓✓) for senders signed in here, gathered while a commit report or a forward is handled and sent at its
/// end with the rest of its frames (`OutboundBatch`). A sender whose connection speaks `Wire.receiptBatchesVersion`
/// gets its receipts in `Receipts` frames, in order, as many to a frame as `maxPerFrame`; an older one gets a
/// `Receipt` frame each. A group message's members acknowledge it within moments of each other, and without this
/// its sender's connection would be written a frame per member.
struct ReceiptBatch {
    /// Keeps a `Receipts` frame far below any frame limit: a receipt is a 16-byte id and a username.
    static let maxPerFrame = 512

    private var senders: [ObjectIdentifier: (session: Session, receipts: [Fastchat_V1_Receipt])] = [:]
    /// The senders in the order their first receipt came, so that frames go out in a predictable order.
    private var order: [ObjectIdentifier] = []

    mutating func add(_ receipt: Fastchat_V1_Receipt, for session: Session) {
        let key = ObjectIdentifier(session)
        if senders[key] == nil {
            senders[key] = (session, [])
            order.append(key)
        }
        senders[key]?.receipts.append(receipt)
    }

    /// Hands every gathered receipt to its connection's event loop, and starts over.
    mutating func send() {
        var frames = OutboundBatch()
        for key in order {
            guard let (session, receipts) = senders[key] else { continue }
            if session.receiptsInBatches {
                for start in stride(from: 0, to: receipts.count, by: Self.maxPerFrame) {
                    let chunk = receipts[start..<min(start + Self.maxPerFrame, receipts.count)]
                    frames.send(Frame(.receipts(.with { $0.receipts = Array(chunk) })), to: session.outbox)
                }
            } else {
                for receipt in receipts { frames.send(Frame(.receipt(receipt)), to: session.outbox) }
            }
        }
        frames.send()
        (senders, order) = ([:], [])
    }
}
