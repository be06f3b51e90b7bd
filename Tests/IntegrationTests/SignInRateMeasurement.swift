import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation
import Testing

/// Not a test: measures how many sign-ins one `fastchat server` process serves per second, and its CPU per sign-in,
/// for BENCHMARKS.md. Runs only with `FASTCHAT_MEASURE_SIGNINS=SECONDS`; `FASTCHAT_BINARY` picks the server binary,
/// and `FASTCHAT_MEASURE_LEGACY=1` speaks the protocol of nodes before login keys (the auth key in field 2 of
/// SignUp and SignIn), to measure such a binary. Each sign-in is what a client does: connect, Hello, GetAuthParams,
/// SignIn, SignOut, close, with the password already derived (client-side scrypt is not the node's cost).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["FASTCHAT_MEASURE_SIGNINS"] != nil))
struct SignInRateMeasurement {
    static let users = 64
    static let concurrency = 4

    @Test func signInsPerSecondOfOneNode() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seconds = Double(environment["FASTCHAT_MEASURE_SIGNINS"] ?? "") ?? 10
        let legacy = environment["FASTCHAT_MEASURE_LEGACY"] == "1"
        let scratch = try Scratch("fastchat-signin-rate")
        defer { scratch.remove() }
        let server = try await ServerProcess.start(
            database: "sqlite:" + scratch.file("fc.db"),
            extraArguments: ["--auth-limit", "10000000", "--auth-limit-per-account", "10000000"],
            in: scratch.url)
        let endpoint = Endpoint(host: "127.0.0.1", port: server.port)
        let secrets = try (0..<Self.users).map {
            try AccountSecrets.derive(password: "measure", username: "m\($0)", parameters: .fast)
        }
        for (index, secret) in secrets.enumerated() {
            try await Self.signUp("m\(index)", secret, legacy: legacy, at: endpoint)
        }

        let cpuBefore = try Self.cpuSeconds(of: server.process.pid)
        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<Self.concurrency {
                group.addTask {
                    var done = 0
                    var index = worker
                    while ContinuousClock.now < deadline {
                        try await Self.signInAndOut("m\(index)", secrets[index], legacy: legacy, at: endpoint)
                        done += 1
                        index = (index + Self.concurrency) % Self.users
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        let cpu = try Self.cpuSeconds(of: server.process.pid) - cpuBefore
        print(
            "SIGN-IN RATE \(legacy ? "legacy" : "login-key") node: \(count) sign-ins in \(String(format: "%.1f", elapsed)) s = "
                + "\(String(format: "%.0f", Double(count) / elapsed))/s; node CPU \(String(format: "%.2f", cpu * 1000 / Double(count))) ms per sign-in "
                + "(\(Self.concurrency) clients at once, each sign-in on a new connection)")
        #expect(count > 0)
        _ = try await server.stop()
    }

    private static func signUp(_ username: String, _ secrets: AccountSecrets, legacy: Bool, at endpoint: Endpoint) async throws {
        let (connection, _) = try await FrameConnection.open(to: endpoint)
        defer { Task { await connection.close() } }
        var request = Fastchat_V1_SignUp()
        request.username = username
        request.kdf = .with { $0.log2N = 10; $0.r = 8; $0.p = 1 }
        let identity = Identity.generate()
        request.identity = WirePublicIdentity(identity.publicIdentity)
        request.keyBackup = try identity.sealedBackup(vaultKey: secrets.vaultKey)
        if legacy {
            let bytes: [UInt8] = try request.serializedBytes()
            request = try Fastchat_V1_SignUp(serializedBytes: bytes + legacyField(secrets.authKey))
        } else {
            let challenge = try await connection.challenge()
            request.loginKey = secrets.loginKey.publicKey
            request.signature = try connection.proof(.signUp, subject: username, key: secrets.loginKey, challenge: challenge)
        }
        _ = try await connection.request(.signUp(request))
    }

    private static func signInAndOut(_ username: String, _ secrets: AccountSecrets, legacy: Bool, at endpoint: Endpoint) async throws {
        let (connection, _) = try await FrameConnection.open(to: endpoint)
        let challenge = try await connection.challenge(.getAuthParams(.with { $0.username = username }))
        var request = Fastchat_V1_SignIn()
        request.username = username
        if legacy {
            let bytes: [UInt8] = try request.serializedBytes()
            request = try Fastchat_V1_SignIn(serializedBytes: bytes + legacyField(secrets.authKey))
        } else {
            request.signature = try connection.proof(.signIn, subject: username, key: secrets.loginKey, challenge: challenge)
        }
        guard case .signedIn = try await connection.request(.signIn(request)) else {
            throw ProcessTestError("\(username) was not signed in")
        }
        _ = try await connection.request(.signOut(.init()))
        await connection.close()
    }

    /// Field 2 of SignUp and SignIn (the auth key before login keys, now reserved), as bytes on the wire: the
    /// message keeps it as an unknown field and sends it on.
    private static func legacyField(_ authKey: Data) -> [UInt8] {
        [0x12, UInt8(authKey.count)] + authKey
    }

    /// User plus system CPU time of `pid`, from /proc.
    private static func cpuSeconds(of pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = Double(fields[11])! + Double(fields[12])!
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
