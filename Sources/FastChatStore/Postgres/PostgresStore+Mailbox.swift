import Foundation
import PostgresNIO

extension PostgresStore {
    /// The acknowledged entries are deleted before the mailbox lock is taken and their blobs and bodies released
    /// after the messages are stored, so acknowledgements hold that lock no longer than before, and nothing this
    /// transaction holds while it waits for the lock is what an accept holding it needs: its mailbox rows, its rows
    /// of `mailbox_released` (accepts write `mailbox_usage`), and not yet the blobs it releases (an accept links
    /// blobs).
    public func commit(acknowledging acknowledgements: [Acknowledgement], accepting messages: [IncomingMessage])
        async throws -> MailboxCommit
    {
        if let nothing = MailboxCommit.ofNothing(acknowledging: acknowledgements, accepting: messages) {
            return nothing
        }
        let now = UnixMillis.now()
        let url = self.url
        return try await transaction { runner in
            let (removed, deleted) = try await Self.delete(acknowledgements, runner)
            let accepted = try await Self.accept(messages, at: now, url: url, runner)
            try await Self.release(deleted, runner)
            return MailboxCommit(acknowledged: removed, accepted: accepted)
        }
    }

    private static func accept(
        _ messages: [IncomingMessage], at now: (millis: Int64, date: Date), url: String, _ runner: PostgresRunner
    ) async throws -> [AcceptOutcome] {
        guard !messages.isEmpty else { return [] }
        // One accept at a time across every node sharing the database: seqs are handed out under this lock and
        // commit before the next accept takes them, so entries become visible in seq order.
        try await runner.lock(PostgresStatements.mailboxLockKey)
        let plans = try await Self.plan(messages, at: now.millis, runner)
        let rows = plans.flatMap { plan -> [(IncomingMessage, IncomingMessage.Copy)] in
            guard case .store(let message, let copies) = plan else { return [] }
            return copies.map { (message, $0) }
        }
        let shared = plans.compactMap { plan -> (IncomingMessage, Data)? in
            guard case .store(let message, _) = plan, let body = message.bodyToStore else { return nil }
            return (message, body)
        }
        if !shared.isEmpty {
            try await runner.rows(PostgresStatements.insertMessageBodies, [
                shared.map(\.0.sender), shared.map(\.0.messageID), shared.map { ByteBuffer(bytes: $0.1) },
            ])
        }
        var seqs: [Int64] = []
        if !rows.isEmpty {
            seqs = try await runner.rows(PostgresStatements.insertMailboxEntries, [
                rows.map(\.1.recipient), rows.map(\.0.sender), rows.map(\.0.messageID),
                rows.map { ByteBuffer(bytes: $0.1.envelope) }, rows.map { $0.0.bodyToStore != nil }, now.millis,
            ]).map { try $0.decode(Int64.self) }.sorted()
        }
        guard seqs.count == rows.count else {
            throw StoreError.cannotOpen("The PostgreSQL database \(url) stored \(seqs.count) of \(rows.count) messages.")
        }

        var nextSeq = seqs.makeIterator()
        let outcomes: [AcceptOutcome] = plans.map { plan in
            switch plan {
            case .answer(let outcome):
                return outcome
            case .store(let message, let copies):
                return .stored(copies.map { message.entry(for: $0, seq: nextSeq.next()!, storedAt: now.date) })
            }
        }
        let links = zip(messages, outcomes).flatMap { $0.blobLinks(for: $1) }
        if !links.isEmpty {
            try await runner.rows(PostgresStatements.linkBlobs, [
                links.map(\.blob), links.map(\.sender), links.map(\.messageID), links.map(\.recipient),
                links.map(\.fromSeq),
            ])
        }
        return outcomes
    }

    /// What becomes of each message, in order.
    private enum Plan {
        /// Fresh: one entry per copy (distinct recipients, in order).
        case store(IncomingMessage, [IncomingMessage.Copy])
        case answer(AcceptOutcome)
    }

    /// Claims the ids of the messages whose blobs are all there and decides each message's fate. A message naming a
    /// missing blob is not claimed, so its id stays free for a send after a new upload; a key repeated in the batch
    /// is fresh only once.
    private static func plan(
        _ messages: [IncomingMessage], at now: Int64, _ runner: PostgresRunner
    ) async throws -> [Plan] {
        var present = Set<BlobKey>()
        let wanted = messages.flatMap(\.blobKeys)
        if !wanted.isEmpty {
            for row in try await runner.rows(PostgresStatements.selectCompleteBlobs, [
                wanted.map(\.id), wanted.map(\.uploader),
            ]) {
                let (id, uploader) = try row.decode((UUID, String).self)
                present.insert(BlobKey(id: id, uploader: uploader))
            }
        }
        let complete = messages.map { $0.blobKeys.allSatisfy(present.contains) }
        var usage = try await Self.usage(of: zip(messages, complete).filter(\.1).flatMap(\.0.quotaRecipients), runner)
        // In order: each message admitted counts against the next one's room.
        let full = zip(messages, complete).map { message, complete in complete ? message.fullRecipients(&usage) : [] }
        let admitted = zip(complete, full).map { $0 && $1.isEmpty }
        let claimable = zip(messages, admitted).filter(\.1).map(\.0)
        let incomplete = zip(messages, admitted).filter { !$0.1 }.map(\.0)
        var fresh = Set<AcceptedMessageKey>()
        if !claimable.isEmpty {
            fresh = try await keys(runner.rows(PostgresStatements.claimMessageIDs, [
                claimable.map(\.sender), claimable.map(\.messageID), now,
            ]))
        }
        var acceptedBefore = Set<AcceptedMessageKey>()
        if !incomplete.isEmpty {
            acceptedBefore = try await keys(runner.rows(PostgresStatements.selectAcceptedMessages, [
                incomplete.map(\.sender), incomplete.map(\.messageID),
            ]))
        }
        return zip(messages, zip(complete, full)).map { message, verdict in
            let (complete, full) = verdict
            let key = AcceptedMessageKey(sender: message.sender, messageID: message.messageID)
            guard complete else {
                return .answer(IncomingMessage.outcomeWithoutItsBlobs(acceptedBefore: acceptedBefore.contains(key)))
            }
            guard full.isEmpty else {
                return .answer(IncomingMessage.outcomeWithoutRoom(for: full, acceptedBefore: acceptedBefore.contains(key)))
            }
            guard fresh.remove(key) != nil else { return .answer(.duplicate) }
            return .store(message, message.distinctCopies)
        }
    }

    private static func usage(of recipients: [String], _ runner: PostgresRunner) async throws -> [String: MailboxUsage] {
        guard !recipients.isEmpty else { return [:] }
        var usage: [String: MailboxUsage] = [:]
        for row in try await runner.rows(PostgresStatements.selectMailboxUsage, [Array(Set(recipients))]) {
            let (recipient, entries, bytes) = try row.decode((String, Int64, Int64).self)
            usage[recipient] = MailboxUsage(entries: Int(clamping: entries), bytes: Int(clamping: bytes))
        }
        return usage
    }

    private static func keys(_ rows: [PostgresRow]) throws -> Set<AcceptedMessageKey> {
        Set(try rows.map(AcceptedMessageKey.init(postgresRow:)))
    }

    public func pending(for recipient: String, afterSeq: Int64, limit: Int) async throws -> [MailboxEntry] {
        guard limit > 0 else { return [] }
        return try await run { try await $0.rows(PostgresStatements.selectPending, [recipient, afterSeq, limit]) }
            .map(MailboxEntry.init(postgresRow:))
    }

    public func forgetAcceptedMessages(acceptedBefore cutoff: Date, after start: AcceptedMessageKey?, limit: Int)
        async throws -> (forgotten: Int, next: AcceptedMessageKey?)
    {
        guard limit > 0 else { return (0, start) }
        let start = start ?? AcceptedMessageKey.beforeFirst
        let cutoff = UnixMillis.from(cutoff)
        return try await transaction { runner in
            let last = try await runner.rows(
                PostgresStatements.acceptedMessageKeyAfter, [start.sender, start.messageID, limit - 1]
            ).first.map(AcceptedMessageKey.init(postgresRow:))
            let forgotten = if let last {
                try await runner.count(
                    PostgresStatements.forgetAcceptedMessagesBetween,
                    [start.sender, start.messageID, last.sender, last.messageID, cutoff])
            } else {
                try await runner.count(PostgresStatements.forgetAcceptedMessagesAfter, [start.sender, start.messageID, cutoff])
            }
            return (forgotten, last)
        }
    }

    /// Each entry to the first acknowledgement of the batch that named it; and every entry deleted.
    private static func delete(
        _ batch: [Acknowledgement], _ runner: PostgresRunner
    ) async throws -> (removed: [[MailboxEntry]], deleted: [MailboxEntry]) {
        let pairs = batch.flatMap { acknowledgement in Set(acknowledgement.seqs).map { (acknowledgement.recipient, $0) } }
        guard !pairs.isEmpty else { return (batch.map { _ in [] }, []) }
        let deleted = try await runner.rows(
            PostgresStatements.deleteMailboxEntries, [pairs.map(\.0), pairs.map(\.1)]
        ).map(MailboxEntry.init(postgresRow:)).sorted { $0.seq < $1.seq }
        var unclaimed = Dictionary(deleted.map { ($0.seq, $0) }, uniquingKeysWith: { first, _ in first })
        let removed = batch.map { acknowledgement in
            Set(acknowledgement.seqs).sorted().compactMap { seq -> MailboxEntry? in
                guard let entry = unclaimed[seq], entry.recipient == acknowledgement.recipient else { return nil }
                unclaimed[seq] = nil
                return entry
            }
        }
        return (removed, deleted)
    }

    /// The blobs and shared bodies that no entry refers to once `deleted` are gone.
    private static func release(_ deleted: [MailboxEntry], _ runner: PostgresRunner) async throws {
        let seqs = deleted.map(\.seq)
        guard !seqs.isEmpty else { return }
        let unlinked = Array(Set(
            try await runner.rows(PostgresStatements.unlinkEntriesBlobs, [seqs]).map { try $0.decode(UUID.self) }
        ))
        if !unlinked.isEmpty {
            try await runner.rows(PostgresStatements.lockBlobs, [unlinked])
            try await runner.rows(PostgresStatements.deleteUnlinkedBlobs, [unlinked])
        }
        let bodies = Array(Set(deleted.compactMap(SharedBodyKey.init)))
        if !bodies.isEmpty {
            let binds: [any PostgresThrowingDynamicTypeEncodable] = [bodies.map(\.sender), bodies.map(\.messageID)]
            try await runner.rows(PostgresStatements.lockBodies, binds)
            try await runner.rows(PostgresStatements.deleteUnreferencedBodies, binds)
        }
    }
}
