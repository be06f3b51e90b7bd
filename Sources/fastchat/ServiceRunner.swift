import Logging
import ServiceLifecycle

/// Runs `service` until SIGTERM or SIGINT asks it to stop; it then shuts down gracefully.
func runUntilSignalled(_ service: some Service, logger: Logger) async throws {
    let group = ServiceGroup(
        configuration: .init(
            // A node also returns by itself, once drained (`fastchat drain`): a clean stop, not a failure.
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
    try await group.run()
}
