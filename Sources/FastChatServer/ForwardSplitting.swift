import FastChatProtocol

extension Fastchat_V1_Forward {
    /// The same entries, receipts, resync request and `notHere` names in order, in as few forwards as keep each frame within
    /// `maxBytes` (the receiving node's frame limit): a commit batch for one node can be far larger than a frame.
    /// A single entry always fits, since a node stores only items that leave `Wire.pushOverhead` to spare. Sizes
    /// are upper bounds from the fields' lengths (64 bytes for tags, lengths and integers), not serializations.
    func split(maxBytes: Int) -> [Fastchat_V1_Forward] {
        var parts: [Fastchat_V1_Forward] = []
        var current = Fastchat_V1_Forward()
        current.resync = resync
        current.resyncEveryone = resyncEveryone
        current.notHere = notHere
        var size = 64 + (resync + notHere).reduce(0) { $0 + $1.utf8.count + 8 }
        func add(_ cost: Int, _ append: (inout Fastchat_V1_Forward) -> Void) {
            if size + cost > maxBytes, !current.entries.isEmpty || !current.receipts.isEmpty {
                parts.append(current)
                current = Fastchat_V1_Forward()
                size = 64
            }
            append(&current)
            size += cost
        }
        for entry in entries {
            add(entry.item.count + entry.recipient.utf8.count + entry.sender.utf8.count + entry.messageID.count + 64) {
                $0.entries.append(entry)
            }
        }
        for receipt in receipts {
            add(receipt.to.utf8.count + receipt.receipt.recipient.utf8.count + receipt.receipt.messageID.count + 64) {
                $0.receipts.append(receipt)
            }
        }
        parts.append(current)
        return parts
    }
}
