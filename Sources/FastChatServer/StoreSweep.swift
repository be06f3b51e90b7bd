import FastChatStore
import Foundation

/// Deletes what the store keeps only for a while: expired images, uploads no message refers to, and the duplicate
/// check's record of messages accepted longer ago than `ServerConfiguration.duplicateCheckWindow`. Every node sweeps
/// the store it shares; what one deletes, the others find gone.
struct StoreSweep: Sendable {
    let services: NodeServices
    /// Rows deleted per transaction: a sweep takes turns with the commit stage for the store's write lock, so none
    /// of its transactions may hold up a commit for long.
    var batchSize = 1_000

    struct Swept: Equatable {
        var expiredImages = 0
        var unreferencedUploads = 0
        var forgottenMessages = 0
    }

    private var configuration: ServerConfiguration { services.configuration }

    /// Sweeps about once a minute until cancelled. Runs beside the heartbeats, never in them: a backlog of rows
    /// takes many transactions, and a heartbeat that waited for them could make this node look dead.
    func run() async {
        while !Task.isCancelled {
            do {
                let swept = try await sweep(now: Date())
                services.metrics.sweptExpiredImages.increment(by: swept.expiredImages)
                services.metrics.sweptUnreferencedUploads.increment(by: swept.unreferencedUploads)
                services.metrics.sweptMessageIDs.increment(by: swept.forgottenMessages)
                if swept != Swept() {
                    services.logger.info("Swept the store", metadata: [
                        "expired_images": "\(swept.expiredImages)",
                        "unreferenced_uploads": "\(swept.unreferencedUploads)",
                        "forgotten_messages": "\(swept.forgottenMessages)",
                    ])
                }
            } catch {
                services.metrics.storeErrors.increment()
                services.logger.warning("Sweeping the store failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.sweepInterval)
        }
    }

    /// One sweep as of `now`: everything due by then, in transactions of at most `batchSize` forgotten messages.
    func sweep(now: Date) async throws -> Swept {
        var swept = Swept()
        if let blobs = services.blobs {
            swept.expiredImages = try await blobs.deleteBlobs(
                createdBefore: now.addingTimeInterval(-configuration.imageTimeToLive.seconds))
            swept.unreferencedUploads = try await blobs.deleteUnreferencedBlobs(
                createdBefore: now.addingTimeInterval(-configuration.unreferencedUploadTimeToLive.seconds))
        }
        let cutoff = now.addingTimeInterval(-configuration.duplicateCheckWindow.seconds)
        while !Task.isCancelled {
            let forgotten = try await services.store.forgetAcceptedMessages(acceptedBefore: cutoff, limit: batchSize)
            swept.forgottenMessages += forgotten
            if forgotten < batchSize { break }
        }
        return swept
    }
}
