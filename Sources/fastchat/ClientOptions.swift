import ArgumentParser
import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation
import Logging

/// The options every client command shares (a contract: scripts depend on them).
struct ClientOptions: ParsableArguments {
    @Option(help: "Balancer or node as HOST:PORT (default: $FASTCHAT_CONNECT, else 127.0.0.1:7000).")
    var connect: String?

    @Option(help: "Directory for keys and pinned peers (default: $FASTCHAT_HOME, else ~/.fastchat).")
    var home: String?

    @Option(
        name: .customLong("kdf-log2n"),
        help: ArgumentHelp(
            "scrypt cost (log2 N) for new accounts and groups, and the least a server may ask for (default: "
                + "$FASTCHAT_KDF_LOG2N, else 15). For tests.",
            visibility: .hidden)
    )
    var kdfLog2N: Int?

    @Option(
        name: .customLong("answer-timeout"),
        help: ArgumentHelp(
            "Seconds a server has to answer before another node is tried (default: $FASTCHAT_ANSWER_TIMEOUT, else 5).",
            visibility: .hidden)
    )
    var answerTimeout: Double?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .warning

    @OptionGroup var tls: TLSClientOptions

    /// `reconnects`: fail over through the balancer when the node goes away (for long-lived sessions).
    /// `interactive`: a server met for the first time is trusted only if the user says so.
    func makeClient(reconnects: Bool = false, interactive: Bool = false) throws -> ChatClient {
        let environment = ProcessInfo.processInfo.environment
        let endpoint = try Endpoint(parsing: connect ?? environment["FASTCHAT_CONNECT"] ?? "127.0.0.1:7000")
        let homePath =
            home ?? environment["FASTCHAT_HOME"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".fastchat").path
        var kdf = KDFParameters.strong
        let fromEnvironment = try environment["FASTCHAT_KDF_LOG2N"].map { text in
            guard let log2N = Int(text) else {
                throw ProtocolError(.badRequest, "FASTCHAT_KDF_LOG2N must be a whole number")
            }
            return log2N
        }
        if let log2N = kdfLog2N ?? fromEnvironment {
            kdf.log2N = log2N
            try kdf.validate()
        }
        let answerSeconds = try answerTimeout ?? environment["FASTCHAT_ANSWER_TIMEOUT"].map { text in
            guard let seconds = Double(text) else {
                throw ProtocolError(.badRequest, "FASTCHAT_ANSWER_TIMEOUT must be a number of seconds")
            }
            return seconds
        } ?? 5
        guard answerSeconds.isFinite, (0.1...3600).contains(answerSeconds) else {
            throw ProtocolError(.badRequest, "The answer timeout must be between 0.1 and 3600 seconds")
        }
        let logger = makeLogger(label: "fastchat.client", level: logLevel)
        return ChatClient(
            options: .init(
                endpoint: endpoint, tls: try tls.clientTLS(home: URL(fileURLWithPath: homePath), interactive: interactive),
                home: URL(fileURLWithPath: homePath), kdf: kdf, logger: logger, reconnects: reconnects,
                answerTimeout: .milliseconds(Int(answerSeconds * 1000)))
        )
    }
}

struct UserOption: ParsableArguments {
    @Option(help: "Your username.")
    var user: String
}

extension ClientOptions {
    /// Signs in, runs `body`, and signs out, mapping any failure to its exit code.
    func withSignedInClient(user: String, _ body: (ChatClient) async throws -> Void) async throws {
        do {
            let client = try makeClient()
            let password = try Terminal.password(prompt: "Password for \(user): ")
            try await client.signIn(username: user, password: password)
            do {
                try await body(client)
            } catch {
                await client.signOut()
                throw error
            }
            await client.signOut()
        } catch {
            throw fail(error, user: user)
        }
    }
}
