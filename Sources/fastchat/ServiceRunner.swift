import Logging
import ServiceLifecycle

/// Runs `service` until SIGTERM or SIGINT asks it to stop; it then shuts down gracefully.
func runUntilSignalled(_ service: some Service, logger: Logger) async throws {
    try await runUntilSignalled([service], logger: logger)
}

/// Runs `services` together until SIGTERM or SIGINT (they shut down gracefully, the last first) or until one ends.
func runUntilSignalled(_ services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(
        configuration: .init(
            // A node also returns by itself, once drained (`fastchat drain`): a clean stop, not a failure.
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
    try await group.run()
}
