import FastChatProtocol
import FastChatStore
import Foundation

/// A group message as its members' mailboxes hold it: the ciphertext once, as the message's shared body, and for
/// each member the rest of the envelope with only their own wrapped key, so a member's mailbox holds nothing meant
/// for anyone else. A member's part followed by the body is a serialized `MailboxItem` that parses as their whole
/// copy: protobuf merges concatenated messages field by field, and the two set different fields of one envelope.
struct GroupMailboxItems {
    /// `MailboxItem { envelope { ciphertext } }`, once for every member.
    let body: Data
    /// `MailboxItem { envelope }` without the ciphertext, with only the member's key.
    let copies: [IncomingMessage.Copy]
    /// The size of the largest member's whole item, serialized as one message (as a delivery carries it).
    let largestItem: Int

    init(_ envelope: Envelope, keys: [(recipient: String, key: Fastchat_V1_WrappedKey)]) throws {
        var header = envelope
        header.ciphertext = Data()
        header.keys = []
        body = try Envelope.with { $0.ciphertext = envelope.ciphertext }.mailboxItem()
        var largestPart: (size: Int, envelope: Envelope)?
        copies = try keys.map { recipient, key in
            var part = header
            part.keys = [key]
            let bytes = try part.mailboxItem()
            if bytes.count > largestPart?.size ?? -1 { largestPart = (bytes.count, part) }
            return .init(recipient: recipient, envelope: bytes)
        }
        // Parts differ only in their key, so the largest part makes the largest whole item; built once, to measure.
        if var whole = largestPart?.envelope {
            whole.ciphertext = envelope.ciphertext
            largestItem = try whole.mailboxItem().count
        } else {
            largestItem = 0
        }
    }
}

extension Envelope {
    /// `MailboxItem { envelope }`, serialized: what a mailbox entry holds.
    func mailboxItem() throws -> Data {
        try Fastchat_V1_MailboxItem.with { $0.envelope = self }.serializedData()
    }
}
