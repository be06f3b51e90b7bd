import FastChatCrypto
import FastChatProtocol
import Foundation

extension ChatClient {
    /// Longest text accepted for one message; it must fit a frame with room for the envelope.
    public var maxTextBytes: Int { maxFrameBytes - 4096 }

    /// Seals `text` for `peer` and returns once the server has it durably (✓). Passing the id of an earlier attempt
    /// makes a retry idempotent.
    @discardableResult
    public func send(_ text: String, to peer: String, id: UUID = UUID()) async throws -> UUID {
        try await send(try content(text: text, id: id), to: peer)
    }

    /// The sealed part of a new message, before its addressing is filled in.
    func content(text: String, id: UUID) throws -> MessageContent {
        let account = try signedIn()
        guard text.utf8.count <= maxTextBytes else {
            throw ProtocolError(.badRequest, "The message is longer than \(maxTextBytes) bytes.")
        }
        var content = MessageContent()
        content.sender = account.username
        content.messageID = id.bytes
        content.sentAtMs = Int64(Date().timeIntervalSince1970 * 1000)
        content.text = text
        return content
    }

    func send(_ content: MessageContent, to peer: String, blobIDs: [Data] = []) async throws -> UUID {
        let account = try signedIn()
        try Names.validate(peer)
        guard let id = UUID(bytes: content.messageID) else {
            throw ProtocolError(.internal, "The message id is malformed.")
        }
        let peerKey = try await trustedKey(of: peer)
        var content = content
        content.recipient = peer
        let sealed = try EnvelopeCrypto.seal(
            try content.serializedData(),
            messageID: id,
            sender: account.username,
            senderIdentity: account.identity,
            recipient: peer,
            recipientKey: peerKey
        )
        var envelope = Envelope(sealed)
        envelope.blobIds = blobIDs
        try await deliver(envelope)
        return id
    }

    /// Records the message as shown, then deletes it from the server's mailbox.
    public func acknowledge(_ message: ReceivedMessage) async throws {
        var account = try signedIn()
        try account.keystore.markSeen(message.id)
        self.account = account
        unacknowledged.remove(message.id)
        try await acknowledge(seqs: [message.seq])
    }

    public func acknowledge(_ notice: GroupNotice) async throws {
        try await acknowledge(seqs: [notice.seq])
    }

    func acknowledge(seqs: [UInt64]) async throws {
        var ack = Fastchat_V1_Ack()
        ack.seqs = seqs
        _ = try await request(.ack(ack))
    }

    /// One item of the inbox that is not yet an event, in the task reading the events.
    func handle(_ item: Inbound) async {
        switch item {
        case .event: break
        case .push(let push, let connection): await handle(push, from: connection)
        case .ended(let connection): ended(connection)
        case .failOver(let connection): await failOver(from: connection)
        }
    }

    private func handle(_ push: Frame.OneOf_Body, from connection: FrameConnection) async {
        switch push {
        case .deliver(let deliver):
            await waitForSignIn()
            await open(deliver)
        case .deliveries(let deliveries):
            await waitForSignIn()
            for delivery in deliveries.entries {
                await open(delivery)
            }
        case .receipt(let receipt):
            delivered(receipt)
        case .receipts(let receipts):
            for receipt in receipts.receipts { delivered(receipt) }
        case .synced(let synced):
            // A count from the node, only reported: clamped, since a conversion that traps would let any
            // node (or whatever answers in its place) crash the client.
            eventContinuation.yield(.synced(pending: Int(clamping: synced.pendingDelivered)))
        case .move:
            await move(from: connection)
        case .error(let error):
            options.logger.warning("The server reported: \(error.message)")
        default:
            break
        }
    }

    private func delivered(_ receipt: Fastchat_V1_Receipt) {
        if let id = UUID(bytes: receipt.messageID) {
            eventContinuation.yield(.delivered(messageID: id, recipient: receipt.recipient))
        }
    }

    /// The mailbox follows the sign-in reply at once, before the account is ready.
    private func waitForSignIn() async {
        guard account == nil, signingIn else { return }
        await withCheckedContinuation { accountWaiters.append($0) }
    }

    /// A version-2 entry: handled as the same `Deliver`. One whose stored item does not parse (or holds neither an
    /// envelope nor a notice) is what a `Deliver` with neither is: rejected, and acknowledged so it goes away.
    private func open(_ delivery: Fastchat_V1_Delivery) async {
        guard account != nil else { return }
        guard let deliver = Fastchat_V1_Deliver(delivery) else {
            options.logger.warning("Rejected an unreadable mailbox item", metadata: ["seq": "\(delivery.seq)"])
            eventContinuation.yield(.rejected(from: "", reason: "the mailbox item is unreadable"))
            try? await acknowledge(seqs: [delivery.seq])
            return
        }
        await open(deliver)
    }

    private func open(_ deliver: Fastchat_V1_Deliver) async {
        guard let account else { return }
        if deliver.hasNotice {
            let notice = deliver.notice
            eventContinuation.yield(
                .notice(
                    GroupNotice(
                        seq: deliver.seq,
                        group: notice.group,
                        event: notice.event,
                        member: notice.member.isEmpty ? nil : notice.member,
                        by: notice.by,
                        at: Date(timeIntervalSince1970: Double(notice.atMs) / 1000)
                    )
                )
            )
            return
        }
        let envelope = deliver.envelope
        let sender = envelope.sender
        do {
            guard let id = UUID(bytes: envelope.messageID) else {
                throw ProtocolError(.badRequest, "the message id is malformed")
            }
            if account.keystore.hasSeen(id) {
                try await acknowledge(seqs: [deliver.seq])
                return
            }
            guard !unacknowledged.contains(id) else { return }
            let (senderKey, pin) = try await key(of: sender)
            let plaintext =
                envelope.group.isEmpty
                ? try EnvelopeCrypto.open(
                    SealedEnvelope(envelope),
                    recipient: account.username,
                    recipientIdentity: account.identity,
                    senderKey: senderKey
                )
                : try GroupEnvelopeCrypto.open(
                    SealedGroupEnvelope(envelope),
                    recipient: account.username,
                    recipientIdentity: account.identity,
                    senderKey: senderKey
                )
            let content = try MessageContent(serializedBytes: plaintext)
            guard content.sender == sender, content.recipient == envelope.recipient, content.group == envelope.group,
                content.messageID == envelope.messageID
            else {
                throw ProtocolError(.badRequest, "the sealed header does not match the envelope")
            }
            let image = content.hasImage ? try await download(content.image, from: sender).path : nil
            let message = ReceivedMessage(
                id: id,
                seq: deliver.seq,
                from: sender,
                to: envelope.group.isEmpty ? content.recipient : nil,
                group: envelope.group.isEmpty ? nil : envelope.group,
                text: content.text,
                image: image,
                sentAt: Date(timeIntervalSince1970: Double(content.sentAtMs) / 1000),
                verified: pin == .matches || pin == .firstUse
            )
            unacknowledged.insert(id)
            eventContinuation.yield(.message(message))
        } catch let error as ImageNotSaved {
            // This machine's fault, not the message's: not acknowledged, so it comes again on the next sign-in.
            // Info, not warning: the event carries the sentence, and a script's stderr gets it once.
            options.logger.info("Could not save an image", metadata: ["from": "\(sender)", "error": "\(error)"])
            eventContinuation.yield(.imageNotSaved(error))
        } catch let error as ProtocolError where error.code == .unavailable {
            // Not the message's fault: it stays in the mailbox and comes again on the next sign-in.
            options.logger.warning("Could not open a message now", metadata: ["error": "\(error)"])
        } catch {
            options.logger.warning("Rejected a message", metadata: ["from": "\(sender)", "error": "\(error)"])
            eventContinuation.yield(.rejected(from: sender, reason: "\(error)"))
            // It can never be opened: keeping it would re-deliver it forever.
            try? await acknowledge(seqs: [deliver.seq])
        }
    }
}

extension Envelope {
    public init(_ sealed: SealedEnvelope) {
        self.init()
        version = sealed.version
        messageID = sealed.messageID.bytes
        sender = sealed.sender
        recipient = sealed.recipient
        encapsulatedKey = sealed.encapsulatedKey
        ciphertext = sealed.ciphertext
        signature = sealed.signature
    }
}

extension SealedEnvelope {
    public init(_ envelope: Envelope) throws {
        guard let id = UUID(bytes: envelope.messageID) else {
            throw ProtocolError(.badRequest, "the message id is malformed")
        }
        self.init(
            version: envelope.version,
            messageID: id,
            sender: envelope.sender,
            recipient: envelope.recipient,
            encapsulatedKey: envelope.encapsulatedKey,
            ciphertext: envelope.ciphertext,
            signature: envelope.signature
        )
    }
}
