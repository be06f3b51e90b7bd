import ArgumentParser
import FastChatTLS
import Foundation

/// `fastchat cert init` and `fastchat cert issue`: a cluster CA and node certificates for clusters on several
/// machines (one machine's nodes create their own on first start).
struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Create a cluster CA and issue node and balancer certificates.",
        subcommands: [Init.self, Issue.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write DIR/ca.pem and DIR/ca.key (kept if they exist); prints the CA's fingerprint.")

        @Option(help: "The cluster's certificate directory.")
        var dir: String

        func run() async throws {
            do {
                let authority = try TLSDirectory(path: dir).authority(create: true)
                Terminal.line("CA \(ServerTrust.fingerprint(authority.certificate)) in \(dir)")
            } catch {
                throw fail(error)
            }
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write DIR/NAME.pem (certificate and CA) and DIR/NAME.key for a node or balancer reachable at each --host.")

        @Option(help: "The cluster's certificate directory (holding ca.pem and ca.key).")
        var dir: String

        @Option(help: "The node's name (as its --name), or balancer.")
        var name: String

        @Option(help: "An address clients and nodes reach it by: an IP address or a DNS name (repeatable).")
        var host: [String]

        func validate() throws {
            guard !host.isEmpty else { throw ValidationError("Give at least one --host.") }
        }

        func run() async throws {
            do {
                let directory = TLSDirectory(path: dir)
                try directory.issue(name: name, hosts: host.flatMap(certificateHosts(for:)))
                Terminal.line("\(directory.certificateFile(for: name).path) and \(directory.keyFile(for: name).path)")
            } catch {
                throw fail(error)
            }
        }
    }
}
