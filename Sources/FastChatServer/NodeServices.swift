import FastChatProtocol
import FastChatStore
import Foundation
import Logging
import NIOPosix

/// What every connection on a node shares. A class: each connection holds a reference, not a copy (the
/// configuration alone is a kilobyte, which an idle connection would carry).
final class NodeServices: Sendable {
    let configuration: ServerConfiguration
    let store: any ChatStore
    let sessions: SessionDirectory
    let mailbox: MailboxWriter
    let presence: PresenceCache
    let users: UserCache
    let links: NodeLinks
    let inboundLinks: InboundLinks
    /// Open once this node is linked both ways to its peers: sign-ins wait for it.
    let linksReady: LinksReady
    let linkRefusals: LinkRefusals
    let authLimiter: AuthRateLimiter
    let connectionCounts: ConnectionCounts
    let outboundPeak: OutboundPeak
    let metrics: NodeMetrics
    /// Nil when the store keeps no images; the node then announces a maximum image size of 0.
    var blobs: (any BlobStore)? { store as? any BlobStore }
    /// The one slow hash left (scrypt, checking a legacy account's or group's old hash once, at its upgrade) runs
    /// here, off the cooperative pool, so it cannot stall message traffic.
    let blockingPool: NIOThreadPool
    let logger: Logger

    /// A node's services over `store`, before anything is served.
    init(configuration: ServerConfiguration, store: any ChatStore, metrics: NodeMetrics, logger: Logger) throws {
        self.configuration = configuration
        self.store = store
        sessions = SessionDirectory()
        mailbox = .forMailbox(
            of: store, maxBatchSize: configuration.maxBatchSize, metrics: metrics, logger: logger)
        presence = PresenceCache(store: store, localNode: configuration.nodeName)
        users = UserCache(store: store)
        links = NodeLinks(
            localName: configuration.nodeName, tls: try configuration.tls?.makeLinkContext(),
            // Nodes of a cluster share their settings: a third of this node's idle timeout suits the peers too.
            keepAlive: (configuration.idleTimeout ?? .seconds(90)) / 3, maxFrameBytes: configuration.maxFrameBytes,
            metrics: metrics, logger: logger)
        inboundLinks = InboundLinks()
        linksReady = LinksReady()
        linkRefusals = LinkRefusals()
        authLimiter = AuthRateLimiter(configuration.authLimits)
        connectionCounts = ConnectionCounts(configuration.connectionLimits)
        outboundPeak = OutboundPeak()
        self.metrics = metrics
        blockingPool = NIOThreadPool.singleton
        self.logger = logger
    }

    /// Pushes freshly stored entries to their recipients: directly if they are signed in here, over the node link
    /// if they are signed in on another node. Called in commit order, on the commit stage's thread: it does what needs
    /// no wait and returns the rest (a store read for users it does not know, a link not made yet), to run before
    /// anything routed later.
    func route(_ entries: [MailboxEntry]) -> ReportRemainder? {
        let elsewhere = pushToThoseHere(entries)
        guard !elsewhere.isEmpty else { return nil }
        return forwardNow(
            elsewhere, of: \.recipient, as: { entries in .with { $0.entries = entries.map(ForwardedEntry.init) } },
            ifUnreachable: { entries, node in await self.route(entries, around: node) })
    }

    /// Pushes those of `entries` whose recipients are signed in here, one push per recipient with their entries in
    /// the order given, without waiting (`MailboxDelivery.onTheirLoops`); returns the others, in order.
    private func pushToThoseHere(_ entries: [MailboxEntry]) -> [MailboxEntry] {
        guard !entries.isEmpty else { return [] }
        return push(entries, to: sessions.sessions(for: Set(entries.map(\.recipient))))
    }

    /// Pushes those of `entries` whose recipients have a session in `here`; returns the others, in order.
    private func push(_ entries: [MailboxEntry], to here: [String: Session]) -> [MailboxEntry] {
        var pushes: [String: [MailboxEntry]] = [:]
        var elsewhere: [MailboxEntry] = []
        for entry in entries {
            if here[entry.recipient] != nil {
                pushes[entry.recipient, default: []].append(entry)
            } else {
                elsewhere.append(entry)
            }
        }
        MailboxDelivery.onTheirLoops(pushes.compactMap { recipient, entries in
            here[recipient].map { session in (session.delivery, { @Sendable delivery in delivery.push(entries) }) }
        })
        return elsewhere
    }

    /// A forward to `unreachable` failed (it is restarting, say). The presence cache pointed there, but its users
    /// may have moved on meanwhile (a drain): the entries go where the store says their recipients are now.
    /// Otherwise they would reach them only at a later sign-in, after newer ones. Who is still on the unreachable
    /// node stays remembered for its next link.
    private func route(_ entries: [MailboxEntry], around unreachable: String) async {
        presence.forget(Set(entries.map(\.recipient)))
        await routeByStore(entries, skipping: unreachable)
    }

    /// Sends entries and receipts where the store says their users are signed in now: pushed here if that is this
    /// node, over a link if another; left (in the mailbox) if nowhere or on `unreachable`. One store read.
    private func routeByStore(
        _ entries: [MailboxEntry], receipts: [Fastchat_V1_ForwardedReceipt] = [], skipping unreachable: String? = nil
    ) async {
        let users = Set(entries.map(\.recipient) + receipts.map(\.to))
        guard !users.isEmpty else { return }
        let nodes = (try? await store.sessionNodes(of: users)) ?? [:]
        var onward: [String: Fastchat_V1_Forward] = [:]
        var here: [MailboxEntry] = []
        for entry in entries {
            guard let node = nodes[entry.recipient], node != unreachable else { continue }
            if node == configuration.nodeName {
                here.append(entry)
            } else {
                onward[node, default: .init()].entries.append(ForwardedEntry(entry))
            }
        }
        // Whoever the store places here but whose session has just ended gets them at their next sign-in.
        _ = pushToThoseHere(here)
        var receiptsHere = ReceiptBatch()
        for receipt in receipts {
            guard let node = nodes[receipt.to], node != unreachable else { continue }
            if node == configuration.nodeName {
                if let session = sessions.session(for: receipt.to) { receiptsHere.add(receipt.receipt, for: session) }
            } else {
                onward[node, default: .init()].receipts.append(receipt)
            }
        }
        receiptsHere.send()
        for (node, forward) in onward {
            await links.forward(forward, to: node)
        }
    }

    /// Tells each sender (wherever they are signed in) that the recipient has their message: one frame per sender
    /// here, one forward per other node. As `route`, it does what needs no wait and returns the rest.
    func sendReceipts(for removed: [MailboxEntry]) -> ReportRemainder? {
        let removed = removed.filter { $0.sender != Notices.sender }
        guard !removed.isEmpty else { return nil }
        let here = sessions.sessions(for: Set(removed.map(\.sender)))
        var elsewhere: [Fastchat_V1_ForwardedReceipt] = []
        var receipts = ReceiptBatch()
        for entry in removed {
            var receipt = Fastchat_V1_Receipt()
            receipt.messageID = entry.messageID.bytes
            receipt.recipient = entry.recipient
            if let session = here[entry.sender] {
                receipts.add(receipt, for: session)
            } else {
                elsewhere.append(.with { $0.to = entry.sender; $0.receipt = receipt })
            }
        }
        receipts.send()
        guard !elsewhere.isEmpty else { return nil }
        // Receipts are not stored: one for a node with no link is dropped, as one for a sender who is offline.
        return forwardNow(
            elsewhere, of: \.to, as: { receipts in .with { $0.receipts = receipts } }, ifUnreachable: { _, _ in })
    }

    /// What `deliverForwarded` does, when it needs no wait: every entry and receipt of `forward` is for a user signed
    /// in here, and it asks for no resync. False, with nothing done, otherwise. Runs on the link's event loop, so
    /// most forwards cost no task.
    func deliverForwardedNow(_ forward: Fastchat_V1_Forward) -> Bool {
        guard !forward.resyncEveryone, forward.resync.isEmpty else { return false }
        let users = Set(forward.entries.map(\.recipient) + forward.receipts.map(\.to))
        let here = sessions.sessions(for: users)
        guard here.count == users.count else { return false }
        presence.forget(Set(forward.notHere))
        // A session that ends meanwhile pushes nothing more; its entries wait in the mailbox for the next sign-in.
        _ = deliver(forward, to: here)
        return true
    }

    /// Entries and receipts node `peer` forwarded for users signed in here. One whose user is no longer here (the
    /// other node's presence cache was stale) is routed on by the store, so a user who moved still gets it, and the
    /// other node is told (`notHere`), so that its next ones take the direct way.
    func deliverForwarded(_ forward: Fastchat_V1_Forward, from peer: String) async {
        presence.forget(Set(forward.notHere))
        if forward.resyncEveryone || !forward.resync.isEmpty {
            await resync(forward.resyncEveryone ? nil : forward.resync)
        }
        let here = sessions.sessions(for: Set(forward.entries.map(\.recipient) + forward.receipts.map(\.to)))
        let (moved, movedReceipts) = deliver(forward, to: here)
        let notHere = Set(moved.map(\.recipient) + movedReceipts.map(\.to))
        if !notHere.isEmpty { await links.forward(.with { $0.notHere = notHere.sorted() }, to: peer) }
        await routeByStore(moved, receipts: movedReceipts)
    }

    /// Pushes the entries and sends the receipts of `forward` whose users have a session in `here`; returns the
    /// others.
    private func deliver(
        _ forward: Fastchat_V1_Forward, to here: [String: Session]
    ) -> (entries: [MailboxEntry], receipts: [Fastchat_V1_ForwardedReceipt]) {
        let moved = push(forward.entries.compactMap(MailboxEntry.init), to: here)
        var movedReceipts: [Fastchat_V1_ForwardedReceipt] = []
        var receipts = ReceiptBatch()
        for receipt in forward.receipts {
            if let session = here[receipt.to] {
                receipts.add(receipt.receipt, for: session)
            } else {
                movedReceipts.append(receipt)
            }
        }
        receipts.send()
        return (moved, movedReceipts)
    }
}

extension NodeServices {
    /// Replays the mailboxes of `usernames` (nil: everyone signed in here) to their connections: what was committed
    /// for them and never pushed live is pushed now, before newer live entries. `restored`: the replay after this
    /// node restored its sessions (it had been taken for dead), which releases the hold taken before (`NodeRegistration`).
    func resync(_ usernames: [String]?, restored: Bool = false) async {
        var names = usernames ?? []
        if usernames == nil { names = sessions.usernames }
        let resyncing = Array(sessions.sessions(for: names).values)
        for session in resyncing { await session.delivery.hold() }
        // A few at a time: each reads a mailbox, and a node may hold thousands of sessions.
        await withTaskGroup(of: Void.self) { group in
            var next = resyncing.makeIterator()
            for _ in 0..<8 {
                guard let session = next.next() else { break }
                group.addTask { await session.delivery.resync(restored: restored) }
            }
            while await group.next() != nil {
                guard let session = next.next() else { continue }
                group.addTask { await session.delivery.resync(restored: restored) }
            }
        }
    }
}

typealias ForwardedEntry = Fastchat_V1_ForwardedEntry

extension Fastchat_V1_ForwardedEntry {
    init(_ entry: MailboxEntry) {
        self.init()
        recipient = entry.recipient
        seq = UInt64(entry.seq)
        sender = entry.sender
        messageID = entry.messageID.bytes
        item = entry.envelope
        storedAtMs = entry.storedAt.wireMillis
    }
}

extension MailboxEntry {
    /// Nil for an entry no node could have stored (a malformed id, a seq beyond the store's range, a time no
    /// node's clock shows).
    init?(_ forwarded: Fastchat_V1_ForwardedEntry) {
        guard let id = UUID(bytes: forwarded.messageID), let seq = Int64(exactly: forwarded.seq),
            Date.plausibleWireMillis.contains(forwarded.storedAtMs)
        else { return nil }
        self.init(
            seq: seq,
            recipient: forwarded.recipient,
            sender: forwarded.sender,
            messageID: id,
            envelope: forwarded.item,
            storedAt: Date(timeIntervalSince1970: Double(forwarded.storedAtMs) / 1000)
        )
    }
}
