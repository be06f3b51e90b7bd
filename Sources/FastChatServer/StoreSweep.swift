import FastChatStore
import Foundation

/// Deletes what the store keeps only for a while: expired images and uploads no message refers to (each sweep), and
/// the duplicate check's record of messages accepted longer ago than `ServerConfiguration.duplicateCheckWindow` (one
/// pass through it every `duplicateCheckSweepInterval`). Every node sweeps the store it shares; what one deletes, the
/// others find gone.
struct StoreSweep: Sendable {
    let services: NodeServices
    /// Ids a pass looks at per transaction: a sweep takes turns with the commit stage for the store's write lock, so
    /// none of its transactions may hold up a commit for long.
    var stepSize = 5_000

    struct Swept: Equatable {
        var expiredImages = 0
        var unreferencedUploads = 0
        var forgottenMessages = 0
    }

    private var configuration: ServerConfiguration { services.configuration }

    /// Sweeps every `sweepInterval` until cancelled. Runs beside the heartbeats, never in them: a pass through the
    /// duplicate check takes many transactions, and a heartbeat that waited for them could make this node look dead.
    func run() async {
        var lastPass: ContinuousClock.Instant?
        while !Task.isCancelled {
            let passDue = lastPass.map { .now - $0 >= configuration.duplicateCheckSweepInterval } ?? true
            do {
                let swept = try await sweep(now: Date(), forgettingIDs: passDue)
                if passDue { lastPass = .now }
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

    /// One sweep as of `now`: the images due, and with `forgettingIDs` a whole pass through the duplicate check, in
    /// transactions of `stepSize` ids.
    func sweep(now: Date, forgettingIDs: Bool = true) async throws -> Swept {
        var swept = Swept()
        if let blobs = services.blobs {
            swept.expiredImages = try await blobs.deleteBlobs(
                createdBefore: now.addingTimeInterval(-configuration.imageTimeToLive.seconds))
            swept.unreferencedUploads = try await blobs.deleteUnreferencedBlobs(
                createdBefore: now.addingTimeInterval(-configuration.unreferencedUploadTimeToLive.seconds))
        }
        guard forgettingIDs else { return swept }
        let cutoff = now.addingTimeInterval(-configuration.duplicateCheckWindow.seconds)
        var next: AcceptedMessageKey?
        repeat {
            let step = try await services.store.forgetAcceptedMessages(acceptedBefore: cutoff, after: next, limit: stepSize)
            swept.forgottenMessages += step.forgotten
            next = step.next
        } while next != nil && !Task.isCancelled
        return swept
    }
}
