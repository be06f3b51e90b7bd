/// The statements behind `PostgresStore`'s `BlobStore` and its blob links (the tables are in `PostgresMigrations`,
/// "v4-blobs" and "v6-blob-refs"). The same steps as `SQLiteStatements`' blob statements; where SQLite serialises
/// every write, these lock blob rows so that concurrent chunks of one blob, and links and unlinks, take turns.
extension PostgresStatements {
    static let lockBlob = "SELECT uploader, chunk_count, complete FROM blobs WHERE id = $1 FOR UPDATE"

    /// No row back: the id is taken (perhaps by an upload that began at the same moment).
    /// The announced sizes of an uploader's stored blobs, for the upload quota.
    static let selectUploadedBytes = "SELECT COALESCE(SUM(size), 0)::BIGINT FROM blobs WHERE uploader = $1"

    static let insertBlob = """
        INSERT INTO blobs (id, uploader, size, chunk_count, complete, recipients, created_at)
        VALUES ($1, $2, $3, 0, FALSE, NULL, $4)
        ON CONFLICT (id) DO NOTHING
        RETURNING 1
        """

    static let insertBlobChunk = "INSERT INTO blob_chunks (blob_id, idx, data) VALUES ($1, $2, $3)"

    static let advanceBlob = "UPDATE blobs SET chunk_count = chunk_count + 1, complete = $1 WHERE id = $2"

    /// Served only to its uploader and to the recipients of entries linked to it (and, for a blob referred to
    /// before links existed, `recipients` set, to anyone signed in); to anyone else it is as missing as no blob.
    static let selectBlobChunk = """
        SELECT c.data, c.idx = b.chunk_count - 1 AS last
        FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id
        WHERE c.blob_id = $1 AND c.idx = $2 AND b.complete
          AND (b.uploader = $3 OR b.recipients IS NOT NULL
               OR EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = b.id AND r.recipient = $3))
        """

    /// Which of the named blobs (arrays: id, uploader) are complete uploads of that uploader's, locked until the
    /// accept commits so that no sweep or acknowledgement deletes one before it is linked.
    static let selectCompleteBlobs = """
        SELECT b.id, b.uploader
        FROM blobs b JOIN UNNEST($1::uuid[], $2::text[]) AS wanted(id, uploader)
          ON b.id = wanted.id AND b.uploader = wanted.uploader
        WHERE b.complete
        ORDER BY b.id
        FOR KEY SHARE OF b
        """

    /// Which of these `(sender, message_id)` pairs were accepted before.
    static let selectAcceptedMessages = """
        SELECT a.sender, a.message_id
        FROM accepted_messages a JOIN UNNEST($1::text[], $2::uuid[]) AS asked(sender, message_id)
          ON a.sender = asked.sender AND a.message_id = asked.message_id
        """

    /// Every `BlobLink` of an accept at once (arrays: blob, sender, messageID, recipient, fromSeq).
    static let linkBlobs = """
        INSERT INTO blob_refs (blob_id, recipient, seq)
        SELECT b.id, m.recipient, m.seq
        FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::bigint[])
             AS link(blob_id, sender, message_id, recipient, from_seq)
        JOIN blobs b ON b.id = link.blob_id AND b.uploader = link.sender AND b.complete
        JOIN mailbox m ON m.recipient = link.recipient AND m.seq >= link.from_seq
          AND m.sender = link.sender AND m.message_id = link.message_id
        ON CONFLICT DO NOTHING
        """

    static let unlinkEntriesBlobs = "DELETE FROM blob_refs WHERE seq = ANY($1::bigint[]) RETURNING blob_id"

    /// Before deciding whether they are still linked: an accept linking one of them meanwhile holds the row (the
    /// foreign key's lock), so this waits for it and the check below sees its links.
    static let lockBlobs = "SELECT id FROM blobs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE"

    static let deleteUnlinkedBlobs = """
        DELETE FROM blobs b WHERE b.id = ANY($1::uuid[])
          AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = b.id)
        """

    static let deleteBlobsCreatedBefore = "DELETE FROM blobs WHERE created_at < $1 RETURNING 1"

    static let deleteUnreferencedBlobsCreatedBefore = """
        DELETE FROM blobs WHERE recipients IS NULL AND created_at < $1
          AND NOT EXISTS (SELECT 1 FROM blob_refs WHERE blob_id = blobs.id)
        RETURNING 1
        """
}
