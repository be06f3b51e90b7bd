import ArgumentParser
import FastChatClient
import FastChatStore
import Foundation
import Logging

struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Take a node out of rotation: balancers skip it at once, its clients move to other nodes, and it "
            + "stops when they have (or after its --drain-timeout)."
    )

    @Option(help: "The node to drain, as registered (`fastchat status` lists them).")
    var node: String

    @Option(help: "The cluster's store: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB.")
    var database = "sqlite:./fastchat-data/fastchat.db"

    func run() async throws {
        let logger = makeLogger(label: "fastchat.drain", level: .warning)
        do {
            let found = try await withStore(try StoreURL(parsing: database), logger: logger) { store in
                try await store.drainNode(node)
            }
            guard found else {
                FileHandle.standardError.write(Data("No node named \(TerminalText.safe(node)) is registered.\n".utf8))
                throw ExitCode(16)
            }
            // The node sees the request at its next heartbeat (about a second).
            Terminal.line("draining \(TerminalText.safe(node))")
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }
}
