import ArgumentParser
import FastChatTLS
import Foundation

/// `--tls-cert`, `--tls-key`, `--tls-dir`, `--ca` and `--no-tls` of `server` and `balancer`.
struct TLSServerOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: "Certificate chain to serve (PEM; with --tls-key).")
    var certificateFile: String?

    @Option(name: .customLong("tls-key"), help: "Private key of --tls-cert (PEM).")
    var keyFile: String?

    @Option(
        name: .customLong("tls-dir"),
        help: "Cluster CA directory: the CA and this process's certificate are created there on first start and reused (default: tls/ beside the SQLite file).")
    var directory: String?

    @Option(name: .customLong("ca"), help: "The cluster CA certificate that node links are checked against, with --tls-cert.")
    var caFile: String?

    @Flag(name: .customLong("no-tls"), help: "Serve plaintext (benchmarks and debugging only; clients must say --no-tls too).")
    var disabled = false

    var settings: TLSSettings {
        TLSSettings(certificateFile: certificateFile, keyFile: keyFile, directory: directory, caFile: caFile, disabled: disabled)
    }

    func validate() throws {
        do { try settings.validate() } catch let error as TLSSetupError { throw ValidationError(error.description) }
    }
}

/// `--ca` and `--no-tls` of every client command.
struct TLSClientOptions: ParsableArguments {
    @Option(
        name: .customLong("ca"),
        help: "Trust servers whose certificate this CA issued (default: $FASTCHAT_CA; else the system's CAs, else the CA pinned on first use in <home>/known_servers).")
    var caFile: String?

    @Flag(name: .customLong("no-tls"), help: "Speak plaintext, to a server started with --no-tls.")
    var disabled = false

    /// nil for plaintext. `interactive`: a CA met for the first time is pinned only if the user says yes.
    func clientTLS(home: URL, interactive: Bool = false) throws -> ClientTLS? {
        if disabled { return nil }
        if let path = caFile ?? ProcessInfo.processInfo.environment["FASTCHAT_CA"] {
            return try ClientTLS(trust: .authority(pemFile: path))
        }
        let known = KnownServers(file: home.appendingPathComponent("known_servers"))
        return try ClientTLS(trust: .firstUse(known, approve: interactive ? Self.ask : Self.announce))
    }

    /// Home for clients that keep no other state (status): $FASTCHAT_HOME, else ~/.fastchat.
    static var defaultHome: URL {
        ProcessInfo.processInfo.environment["FASTCHAT_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".fastchat")
    }

    @Sendable private static func announce(_ server: ServerIntroduction) async -> Bool {
        FileHandle.standardError.write(
            Data(
                ("Trusting \(server.address) on first use: its cluster CA is \(server.fingerprint) (pinned in "
                    + "\(server.knownServers.path)).\n").utf8))
        return true
    }

    @Sendable private static func ask(_ server: ServerIntroduction) async -> Bool {
        FileHandle.standardError.write(
            Data(
                ("\(server.address) is new to this client. Its cluster CA is \(server.fingerprint); check it with the "
                    + "cluster's operator. Trust it? [y/N] ").utf8))
        let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces).lowercased()
        return answer == "y" || answer == "yes"
    }
}
