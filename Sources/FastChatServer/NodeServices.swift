import FastChatProtocol
import FastChatStore
import Foundation
import Logging
import NIOPosix

/// What every connection on a node shares.
struct NodeServices: Sendable {
    let configuration: ServerConfiguration
    let store: any ChatStore
    let sessions: SessionDirectory
    let mailbox: MailboxWriter
    let users: UserCache
    let links: NodeLinks
    /// Nil when the store keeps no images; the node then announces a maximum image size of 0.
    var blobs: (any BlobStore)? { store as? any BlobStore }
    /// Slow hashing (scrypt) runs here, off the cooperative pool, so sign-ins cannot stall message traffic.
    let blockingPool: NIOThreadPool
    let logger: Logger

    /// Pushes freshly stored entries to their recipients: directly if they are signed in here, over the node link
    /// if they are signed in on another node. Called in commit order.
    func route(_ entries: [MailboxEntry]) async {
        var remote: [String: Fastchat_V1_Forward] = [:]
        var presence: [String: String?] = [:]
        for entry in entries {
            if let session = await sessions.session(for: entry.recipient) {
                await session.delivery.push([entry])
                continue
            }
            guard let node = await node(of: entry.recipient, cache: &presence) else { continue }
            remote[node, default: .init()].entries.append(
                .with {
                    $0.recipient = entry.recipient
                    $0.seq = UInt64(entry.seq)
                    $0.sender = entry.sender
                    $0.messageID = entry.messageID.bytes
                    $0.item = entry.envelope
                    $0.storedAtMs = Int64(entry.storedAt.timeIntervalSince1970 * 1000)
                }
            )
        }
        for (node, forward) in remote {
            await links.forward(forward, to: node, store: store)
        }
    }

    /// Tells `sender` (wherever they are signed in) that `recipient` has the message.
    func sendReceipt(_ receipt: Fastchat_V1_Receipt, to sender: String) async {
        if let session = await sessions.session(for: sender) {
            session.outbox.send(Frame(.receipt(receipt)))
            return
        }
        var presence: [String: String?] = [:]
        guard let node = await node(of: sender, cache: &presence) else { return }
        let forward = Fastchat_V1_Forward.with {
            $0.receipts = [.with { $0.to = sender; $0.receipt = receipt }]
        }
        await links.forward(forward, to: node, store: store)
    }

    /// The other node `username` is signed in on, from the store's sessions (one lookup per user per batch).
    private func node(of username: String, cache: inout [String: String?]) async -> String? {
        if let known = cache[username] { return known }
        let node = (try? await store.sessionNode(of: username)).flatMap { $0 == configuration.nodeName ? nil : $0 }
        cache[username] = node
        return node
    }

    /// Entries and receipts another node forwarded for users signed in here.
    func deliverForwarded(_ forward: Fastchat_V1_Forward) async {
        for entry in forward.entries {
            guard let session = await sessions.session(for: entry.recipient), let id = UUID(bytes: entry.messageID) else {
                continue
            }
            await session.delivery.push([
                MailboxEntry(
                    seq: Int64(entry.seq),
                    recipient: entry.recipient,
                    sender: entry.sender,
                    messageID: id,
                    envelope: entry.item,
                    storedAt: Date(timeIntervalSince1970: Double(entry.storedAtMs) / 1000)
                )
            ])
        }
        for receipt in forward.receipts {
            await sessions.session(for: receipt.to)?.outbox.send(Frame(.receipt(receipt.receipt)))
        }
    }
}

/// Accounts looked up by name. Accounts are never deleted or re-keyed, so a found record stays valid.
actor UserCache {
    private let store: any ChatStore
    private var known: [String: UserRecord] = [:]

    init(store: any ChatStore) {
        self.store = store
    }

    func user(named username: String) async throws -> UserRecord? {
        if let user = known[username] { return user }
        guard let user = try await store.user(named: username) else { return nil }
        known[username] = user
        return user
    }
}
