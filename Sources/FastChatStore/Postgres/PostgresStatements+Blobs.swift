/// The statements behind `PostgresStore`'s `BlobStore` (the tables are in `PostgresMigrations`, "v4-blobs"). The same
/// steps as `SQLiteStatements`' blob statements; where SQLite serialises every write, these lock the blob's row so
/// that concurrent chunks, references and fetches of one blob take turns.
extension PostgresStatements {
    static let lockBlob = "SELECT uploader, chunk_count, complete FROM blobs WHERE id = $1 FOR UPDATE"

    /// No row back: the id is taken (perhaps by an upload that began at the same moment).
    static let insertBlob = """
        INSERT INTO blobs (id, uploader, size, chunk_count, complete, recipients, created_at)
        VALUES ($1, $2, $3, 0, FALSE, NULL, $4)
        ON CONFLICT (id) DO NOTHING
        RETURNING 1
        """

    static let insertBlobChunk = "INSERT INTO blob_chunks (blob_id, idx, data) VALUES ($1, $2, $3)"

    static let advanceBlob = "UPDATE blobs SET chunk_count = chunk_count + 1, complete = $1 WHERE id = $2"

    static let selectBlobChunk = """
        SELECT c.data, c.idx = b.chunk_count - 1 AS last
        FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id
        WHERE c.blob_id = $1 AND c.idx = $2 AND b.complete
        """

    static let referenceBlob = """
        UPDATE blobs SET recipients = coalesce(recipients, 0) + $1
        WHERE id = $2 AND uploader = $3 AND complete
        RETURNING 1
        """

    static let insertBlobFetch = """
        INSERT INTO blob_fetches (blob_id, recipient) SELECT id, $2 FROM blobs WHERE id = $1
        ON CONFLICT DO NOTHING
        """

    static let deleteFullyFetchedBlob = """
        DELETE FROM blobs WHERE id = $1 AND recipients IS NOT NULL
          AND recipients <= (SELECT COUNT(*) FROM blob_fetches WHERE blob_id = $1)
        RETURNING 1
        """

    static let deleteBlobsCreatedBefore = "DELETE FROM blobs WHERE created_at < $1 RETURNING 1"

    static let deleteUnreferencedBlobsCreatedBefore = """
        DELETE FROM blobs WHERE recipients IS NULL AND created_at < $1 RETURNING 1
        """
}
