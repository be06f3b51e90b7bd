import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation

/// Where one simulated client's messages go.
enum MessageTarget: Sendable {
    case direct(recipient: String, key: PublicIdentity)
    case group(name: String, recipients: [(username: String, key: PublicIdentity)])
}

/// How one simulated client makes its messages. By default an envelope sealed once for real is re-sent with a new
/// id each time, so the load generator spends its cores on the servers' work rather than its own crypto (the servers
/// cannot tell: they never open envelopes). With `--crypto` every message is sealed and signed afresh.
struct OutgoingMessages: Sendable {
    /// About 100 bytes of ciphertext, as in the targets' comparison figures.
    static let text = String(repeating: "FastChat benchmark message. ", count: 3)

    let target: MessageTarget
    private let preSealed: Envelope?

    /// Mailbox copies the servers make of each message.
    var copies: Int {
        switch target {
        case .direct: 1
        case .group(_, let recipients): recipients.count
        }
    }

    init(target: MessageTarget, from user: BenchUser, sealEach: Bool) throws {
        self.target = target
        preSealed = sealEach ? nil : try Self.seal(MessageStamp(sender: user.index, sequence: 0, intendedNanos: 0), from: user, to: target)
    }

    func envelope(stamped stamp: MessageStamp, from user: BenchUser) -> Envelope? {
        if var envelope = preSealed {
            envelope.messageID = stamp.bytes
            return envelope
        }
        return try? Self.seal(stamp, from: user, to: target)
    }

    private static func seal(_ stamp: MessageStamp, from user: BenchUser, to target: MessageTarget) throws -> Envelope {
        var content = MessageContent()
        content.sender = user.username
        content.messageID = stamp.bytes
        content.text = text
        guard let id = UUID(bytes: stamp.bytes) else { throw ProtocolError(.internal, "Bad message id.") }
        switch target {
        case .direct(let recipient, let key):
            content.recipient = recipient
            return Envelope(
                try EnvelopeCrypto.seal(
                    try content.serializedData(), messageID: id, sender: user.username, senderIdentity: user.identity,
                    recipient: recipient, recipientKey: key))
        case .group(let name, let recipients):
            content.group = name
            return Envelope(
                try GroupEnvelopeCrypto.seal(
                    try content.serializedData(), messageID: id, sender: user.username, senderIdentity: user.identity,
                    group: name, recipients: recipients))
        }
    }
}
