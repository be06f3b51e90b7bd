import FastChatProtocol
import FastChatStore
import Foundation
import Logging

/// Pushes one signed-in user's mailbox to their connection exactly once per session: first what was pending at
/// sign-in (read from the store page by page, in seq order), then what arrives live. Live entries that arrive during
/// the replay wait; afterwards, a live entry the replay already read (seq at or below the last one it read) is
/// skipped, so the two sources never repeat. Live entries are pushed as they come: entries committed by different
/// nodes may arrive out of seq order, and each must still be pushed — only a replay cursor may skip by seq. (Each
/// sender's messages come from the node it is connected to, in its commit order, so a conversation stays in order.)
actor MailboxDelivery {
    private let username: String
    private let outbox: Outbox
    private let store: any ChatStore
    private let pageSize: Int
    private let logger: Logger
    /// Every entry up to this seq was read by the replay (the store makes entries visible in seq order).
    private var replayedThrough: Int64 = 0
    private var replaying = true
    private var waiting: [MailboxEntry] = []

    init(username: String, outbox: Outbox, store: any ChatStore, pageSize: Int, logger: Logger) {
        self.username = username
        self.outbox = outbox
        self.store = store
        self.pageSize = pageSize
        self.logger = logger
    }

    func push(_ entries: [MailboxEntry]) {
        if replaying {
            waiting.append(contentsOf: entries)
        } else {
            send(entries.filter { $0.seq > replayedThrough })
        }
    }

    /// Sends everything pending, then `Synced`. On a store failure the connection is told and keeps what it got;
    /// the rest stays in the mailbox for the next sign-in.
    func replay() async {
        var delivered: UInt64 = 0
        do {
            while true {
                let page = try await store.pending(for: username, afterSeq: replayedThrough, limit: pageSize)
                delivered += UInt64(send(page))
                replayedThrough = page.last?.seq ?? replayedThrough
                if page.count < pageSize { break }
            }
        } catch {
            logger.error("Replaying the mailbox failed", metadata: ["user": "\(username)", "error": "\(error)"])
            outbox.send(.error(.unavailable, "Pending messages could not be read; they will be delivered later."))
        }
        replaying = false
        let live = waiting.filter { $0.seq > replayedThrough }.sorted { $0.seq < $1.seq }
        waiting = []
        send(live)
        var synced = Fastchat_V1_Synced()
        synced.pendingDelivered = delivered
        outbox.send(Frame(.synced(synced)))
    }

    @discardableResult
    private func send(_ entries: [MailboxEntry]) -> Int {
        var sent = 0
        for entry in entries {
            guard let item = try? Fastchat_V1_MailboxItem(serializedBytes: entry.envelope), let content = item.item else {
                logger.error("Unreadable mailbox entry", metadata: ["seq": "\(entry.seq)"])
                continue
            }
            var deliver = Fastchat_V1_Deliver()
            deliver.seq = UInt64(entry.seq)
            switch content {
            case .envelope(let envelope): deliver.envelope = envelope
            case .notice(let notice): deliver.notice = notice
            }
            deliver.storedAtMs = entry.storedAt.wireMillis
            outbox.send(Frame(.deliver(deliver)))
            sent += 1
        }
        return sent
    }
}
