import FastChatProtocol
import FastChatStore
import Foundation

extension ConnectionHandler {
    static let maxSeqsPerAck = 10_000

    func send(_ request: Fastchat_V1_Send, requestID: UInt64) async throws {
        let session = try signedInUser()
        let envelope = request.envelope
        guard envelope.sender == session.username else {
            throw ProtocolError(.badRequest, "The envelope's sender is not the signed-in user.")
        }
        guard let messageID = UUID(bytes: envelope.messageID) else {
            throw ProtocolError(.badRequest, "The message id must be 16 bytes.")
        }
        guard !envelope.ciphertext.isEmpty else {
            throw ProtocolError(.badRequest, "The envelope carries no ciphertext.")
        }
        let copies: [IncomingMessage.Copy]
        let sharedBody: Data?
        let largestItem: Int
        if envelope.group.isEmpty {
            _ = try await existingUser(envelope.recipient)
            let item = try envelope.mailboxItem()
            (copies, sharedBody, largestItem) = ([.init(recipient: envelope.recipient, envelope: item)], nil, item.count)
        } else {
            let items = try await groupItems(of: envelope, from: session.username)
            (copies, sharedBody, largestItem) = (items.copies, items.body, items.largestItem)
        }
        let largest = services.configuration.maxFrameBytes - Wire.pushOverhead
        guard largestItem <= largest else {
            throw ProtocolError(
                .frameTooLarge, "The message is too large: this server delivers at most \(largest) sealed bytes per recipient.")
        }
        let message = IncomingMessage(
            sender: session.username, messageID: messageID, copies: copies, sharedBody: sharedBody,
            blobs: try Self.blobs(of: envelope), quota: services.configuration.mailboxQuota)
        let outbox = self.outbox
        let services = self.services
        let accepted = Fastchat_V1_Accepted.with { $0.messageID = envelope.messageID }
        let window = self.window
        let isGroup = !envelope.group.isEmpty
        await window.acquire()
        await services.mailbox.submit(message) { result in
            await window.release()
            switch result {
            case .success(.stored(let entries)):
                // Routed before the ✓: a sender that moves to another node (a drain) and sends again must not have
                // its next message overtake this one on the way to a recipient on a third node.
                await services.route(entries)
                outbox.reply(to: requestID, .accepted(accepted))
                services.metrics.messagesAccepted.increment()
                services.metrics.figures.messageAccepted()
                if isGroup { services.metrics.groupCopies.increment(by: entries.count) }
            case .success(.duplicate):
                outbox.reply(to: requestID, .accepted(accepted))
            case .success(.missingImage):
                // No ✓ for an image no recipient could fetch.
                outbox.fail(requestID, ProtocolError(
                    .badImage, "The image is no longer on the server (an upload is kept for a while until a message "
                        + "refers to it); send it again."))
            case .success(.mailboxFull(let recipients)):
                services.metrics.mailboxQuotaRefused.increment()
                let quota = services.configuration.mailboxQuota
                outbox.fail(requestID, ProtocolError(
                    .mailboxFull,
                    "The mailbox of \(recipients.joined(separator: ", ")) is full (at most \(quota.entries) messages or "
                        + "\(quota.bytes >> 20) MiB waiting); nothing was stored; send it again once they have read some."))
            case .failure:
                outbox.fail(requestID, ProtocolError(.unavailable, "The message could not be stored; send it again."))
            }
        }
    }

    /// One part per current member but the sender, each keeping only that member's wrapped key, and the ciphertext
    /// once; a removed member is simply not among the parts.
    private func groupItems(of envelope: Envelope, from sender: String) async throws -> GroupMailboxItems {
        guard envelope.recipient.isEmpty else {
            throw ProtocolError(.badRequest, "A group message has no single recipient.")
        }
        let members = try await membership(of: envelope.group, for: sender).members
        var keys: [String: Fastchat_V1_WrappedKey] = [:]
        for key in envelope.keys { keys[key.recipient] = key }
        let recipients = members.map(\.username).filter { $0 != sender }
        let memberKeys = recipients.compactMap { recipient in keys[recipient].map { (recipient, $0) } }
        guard memberKeys.count == recipients.count else {
            throw ProtocolError(.staleMembers, "The members of \(envelope.group) changed; fetch them again.")
        }
        return try GroupMailboxItems(envelope, keys: memberKeys)
    }

    func ack(_ request: Fastchat_V1_Ack, requestID: UInt64) async throws {
        let session = try signedInUser()
        guard request.seqs.count <= Self.maxSeqsPerAck else {
            throw ProtocolError(.badRequest, "At most \(Self.maxSeqsPerAck) messages can be acknowledged at once.")
        }
        let outbox = self.outbox
        let services = self.services
        let acknowledgement = Acknowledgement(recipient: session.username, seqs: request.seqs.map { Int64(clamping: $0) })
        let window = self.window
        await window.acquire()
        await services.acks.submit(acknowledgement) { result in
            await window.release()
            switch result {
            case .success(let removed):
                services.metrics.messagesAcknowledged.increment(by: removed.count)
                await session.delivery.acknowledged(acknowledgement.seqs)
                outbox.reply(to: requestID, .ok(.init()))
                await services.sendReceipts(for: removed)
            case .failure:
                outbox.fail(requestID, ProtocolError(.unavailable, "The acknowledgement could not be stored; send it again."))
            }
        }
    }
}
