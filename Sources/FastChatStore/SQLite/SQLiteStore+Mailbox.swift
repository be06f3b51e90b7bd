import Foundation
import GRDB

extension SQLiteStore {
    public func commit(acknowledging acknowledgements: [Acknowledgement], accepting messages: [IncomingMessage])
        async throws -> MailboxCommit
    {
        if let nothing = MailboxCommit.ofNothing(acknowledging: acknowledgements, accepting: messages) {
            return nothing
        }
        let now = UnixMillis.now()
        return try await writeTransaction { db in
            MailboxCommit(
                acknowledged: try Self.acknowledge(acknowledgements, in: db),
                accepted: try Self.accept(messages, at: now, in: db))
        }
    }

    public func forgetAcceptedMessages(acceptedBefore cutoff: Date, after start: AcceptedMessageKey?, limit: Int)
        async throws -> (forgotten: Int, next: AcceptedMessageKey?)
    {
        guard limit > 0 else { return (0, start) }
        let start = start ?? AcceptedMessageKey.beforeFirst
        let cutoff = UnixMillis.from(cutoff)
        return try await writeTransaction { db in
            let last = try Row.fetchOne(
                db.cachedStatement(sql: SQLiteStatements.acceptedMessageKeyAfter),
                arguments: [start.sender, start.messageID, limit - 1]
            ).map { AcceptedMessageKey(sender: $0["sender"], messageID: $0["message_id"]) }
            if let last {
                try db.cachedStatement(sql: SQLiteStatements.forgetAcceptedMessagesBetween)
                    .execute(arguments: [start.sender, start.messageID, last.sender, last.messageID, cutoff])
            } else {
                try db.cachedStatement(sql: SQLiteStatements.forgetAcceptedMessagesAfter)
                    .execute(arguments: [start.sender, start.messageID, cutoff])
            }
            return (db.changesCount, last)
        }
    }

    // MARK: Acknowledgements

    /// One statement per acknowledgement and one per batch for the blobs they unlink.
    private static func acknowledge(_ batch: [Acknowledgement], in db: Database) throws -> [[MailboxEntry]] {
        let delete = try db.cachedStatement(sql: SQLiteStatements.deleteMailboxEntries)
        let removed = try batch.map { acknowledgement in
            guard !acknowledgement.seqs.isEmpty else { return [MailboxEntry]() }
            return try Row.fetchAll(delete, arguments: [acknowledgement.recipient, jsonArray(acknowledgement.seqs)])
                .map(MailboxEntry.init(sqliteRow:))
                .sorted { $0.seq < $1.seq }
        }
        let seqs = removed.flatMap { $0.map(\.seq) }
        guard !seqs.isEmpty else { return removed }
        let unlinked = Set(try UUID.fetchAll(
            db.cachedStatement(sql: SQLiteStatements.unlinkEntriesBlobs), arguments: [jsonArray(seqs)]))
        let deleteBlob = try db.cachedStatement(sql: SQLiteStatements.deleteBlobIfUnlinked)
        for blob in unlinked {
            try deleteBlob.execute(arguments: [blob, blob])
        }
        let deleteBody = try db.cachedStatement(sql: SQLiteStatements.deleteBodyIfUnreferenced)
        for body in Set(removed.joined().compactMap(SharedBodyKey.init)) {
            try deleteBody.execute(arguments: [body.sender, body.messageID, body.sender, body.messageID])
        }
        return removed
    }

    /// Seqs as one argument for `json_each`: a statement takes any number of them without being prepared again.
    private static func jsonArray(_ seqs: [Int64]) -> String {
        "[" + seqs.map(String.init).joined(separator: ",") + "]"
    }

    // MARK: New messages

    /// Seqs are allocated under the write lock (IMMEDIATE transactions), so they commit in order, which is what makes
    /// `afterSeq` a safe cursor.
    private static func accept(
        _ messages: [IncomingMessage], at now: (millis: Int64, date: Date), in db: Database
    ) throws -> [AcceptOutcome] {
        guard !messages.isEmpty else { return [] }
        let claim = try db.cachedStatement(sql: SQLiteStatements.claimMessageID)
        let insert = try db.cachedStatement(sql: SQLiteStatements.insertMailboxEntry)
        let link = try db.cachedStatement(sql: SQLiteStatements.linkBlob)
        var usage: [String: MailboxUsage] = [:]
        return try messages.map { message in
            let outcome = try accept(message, at: now, claim: claim, insert: insert, usage: &usage, in: db)
            for blobLink in message.blobLinks(for: outcome) {
                try link.execute(arguments: [
                    blobLink.recipient, blobLink.fromSeq, blobLink.messageID, blobLink.blob, blobLink.sender,
                ])
            }
            return outcome
        }
    }

    private static func accept(
        _ message: IncomingMessage, at now: (millis: Int64, date: Date), claim: Statement, insert: Statement,
        usage: inout [String: MailboxUsage], in db: Database
    ) throws -> AcceptOutcome {
        let blobsMissing = try message.blobKeys.contains {
            try !exists(SQLiteStatements.selectCompleteBlob, [$0.id, $0.uploader], in: db)
        }
        if blobsMissing {
            let acceptedBefore = try exists(
                SQLiteStatements.selectAcceptedMessage, [message.sender, message.messageID], in: db)
            return IncomingMessage.outcomeWithoutItsBlobs(acceptedBefore: acceptedBefore)
        }
        for recipient in message.quotaRecipients where usage[recipient] == nil {
            let row = try Row.fetchOne(db.cachedStatement(sql: SQLiteStatements.selectMailboxUsage), arguments: [recipient])
            usage[recipient] = MailboxUsage(entries: row?[0] ?? 0, bytes: row?[1] ?? 0)
        }
        let full = message.fullRecipients(&usage)
        if !full.isEmpty {
            let acceptedBefore = try exists(
                SQLiteStatements.selectAcceptedMessage, [message.sender, message.messageID], in: db)
            return IncomingMessage.outcomeWithoutRoom(for: full, acceptedBefore: acceptedBefore)
        }
        try claim.execute(arguments: [message.sender, message.messageID, now.millis])
        guard db.changesCount > 0 else { return .duplicate }
        if let body = message.bodyToStore {
            try db.cachedStatement(sql: SQLiteStatements.insertMessageBody)
                .execute(arguments: [message.sender, message.messageID, body])
        }
        let hasBody = message.bodyToStore != nil
        return .stored(try message.distinctCopies.map { copy in
            try insert.execute(arguments: [
                copy.recipient, message.sender, message.messageID, copy.envelope, hasBody, now.millis,
            ])
            return message.entry(for: copy, seq: db.lastInsertedRowID, storedAt: now.date)
        })
    }
}
