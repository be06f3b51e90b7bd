import Logging
import ServiceLifecycle

/// Runs `service` until SIGTERM or SIGINT asks it to stop; it then shuts down gracefully.
func runUntilSignalled(_ service: some Service, logger: Logger) async throws {
    let group = ServiceGroup(
        configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
    try await group.run()
}
