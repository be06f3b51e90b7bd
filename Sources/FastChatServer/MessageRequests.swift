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
        let ticket = SendTicket.request(SendRequest(
            requestID: requestID, outbox: outbox, window: window,
            accepted: .with { $0.messageID = envelope.messageID }, isGroup: !envelope.group.isEmpty))
        try await submit(to: services.mailbox, message, ticket: ticket)
    }

    /// Hands `item` to a commit stage, holding a slot of the connection's request window until it is answered.
    private func submit<Item, Outcome, Ticket>(
        to stage: GroupCommit<Item, Outcome, Ticket>, _ item: Item, ticket: Ticket
    ) async throws {
        await window.acquire()
        do {
            try await stage.submit(item, ticket: ticket)
        } catch {
            window.release()
            throw error
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
        let acknowledgement = Acknowledgement(recipient: session.username, seqs: request.seqs.map { Int64(clamping: $0) })
        let ticket = AckTicket(requestID: requestID, outbox: outbox, window: window, session: session)
        try await submit(to: services.acks, acknowledgement, ticket: ticket)
    }
}
