import FastChatServer
@testable import FastChatStore
import Foundation

/// A PostgreSQL server for one test alone, to stop and start: the shared one (`FASTCHAT_TEST_POSTGRES_URL`) serves
/// the tests running beside it. Created with the `FASTCHAT_TEST_PG_CTL` scripts/with-postgres.sh provides (a pg_ctl
/// that runs as the unprivileged user PostgreSQL must run as), in a directory of its own under /tmp.
final class OwnPostgresServer: Sendable {
    static let environmentVariable = "FASTCHAT_TEST_PG_CTL"

    static var pgCtl: String? {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    let directory: URL
    let port: Int
    /// Where pg_ctl's own output goes.
    private let scratch: Scratch
    private let pgCtl: String

    var data: String { directory.appendingPathComponent("data").path }
    /// The database every server starts with, to create others in.
    var maintenanceURL: String { "postgres://fastchat@127.0.0.1:\(port)/postgres?sslmode=disable" }

    private init(pgCtl: String, directory: URL, port: Int, scratch: Scratch) {
        self.pgCtl = pgCtl
        self.directory = directory
        self.port = port
        self.scratch = scratch
    }

    /// initdb, then start on a free loopback port.
    static func start() async throws -> OwnPostgresServer {
        guard let pgCtl else { throw ProcessTestError("\(environmentVariable) is not set.") }
        // pg_ctl creates the directory (as the server's user); /tmp is writable by everyone.
        let directory = URL(fileURLWithPath: "/tmp/fastchat-own-postgres-\(UUID().uuidString.prefix(8))")
        let server = OwnPostgresServer(
            pgCtl: pgCtl, directory: directory, port: try unusedLoopbackPort(), scratch: try Scratch("pg_ctl"))
        do {
            try await server.pgCtl(
                "init", "-D", server.data, "-s",
                "-o", "-U fastchat --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync")
            try await server.start()
        } catch {
            await server.remove()
            throw error
        }
        return server
    }

    /// Starts the stopped server again, on the same port.
    func start() async throws {
        try await pgCtl(
            "start", "-D", data, "-l", directory.appendingPathComponent("server.log").path, "-w", "-t", "60",
            "-o", "-c listen_addresses=127.0.0.1 -c port=\(port) -c unix_socket_directories=\(directory.path) -c fsync=off")
    }

    /// Stops it the way an administrator's restart does: sessions are ended, transactions in flight rolled back.
    func stop() async throws {
        try await pgCtl("stop", "-D", data, "-m", "fast", "-w")
    }

    /// Stops the server if it runs and removes everything.
    func remove() async {
        _ = try? await pgCtl("stop", "-D", data, "-m", "immediate", "-w")
        try? FileManager.default.removeItem(at: directory)
        scratch.remove()
    }

    /// Runs `body` with a server of its own and a node on a database there; removes both afterwards, even when
    /// `body` fails.
    static func withNode(
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (OwnPostgresServer, NodeHarness) async throws -> Void
    ) async throws {
        let server = try await start()
        do {
            let database = try await PostgresTestDatabase.create(on: PostgresURL(parsing: server.maintenanceURL))
            try await IntegrationTests.withNode(on: .postgres(database), configure: configure) { node in
                try await body(server, node)
            }
        } catch {
            await server.remove()
            throw error
        }
        await server.remove()
    }

    private func pgCtl(_ arguments: String...) async throws {
        let process = try ChildProcess(
            executable: URL(fileURLWithPath: pgCtl), arguments: arguments, directory: scratch.url, label: "pg_ctl")
        let result = try await process.waitForExit()
        guard result.exitCode == 0 else {
            let log = (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
            throw ProcessTestError("pg_ctl \(arguments.joined(separator: " ")) failed: \(result)\n\(log)")
        }
    }
}
