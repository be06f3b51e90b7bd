import ArgumentParser
import FastChatServer
import FastChatStore
import Logging

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run a chat node."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 7001

    @Option(help: "Store: sqlite:PATH (embedded) or postgres://USER:PASSWORD@HOST:PORT/DB.")
    var database = "sqlite:./fastchat-data/fastchat.db"

    @Option(help: "This node's name (unique in a cluster).")
    var name = "s1"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let logger = makeLogger(label: "fastchat.server", level: logLevel)
        do {
            let store = try await openStore(try StoreURL(parsing: database), logger: logger)
            let configuration = ServerConfiguration(host: host, port: port, nodeName: name)
            let node = try await ChatNode.bind(configuration: configuration, store: store, logger: logger)
            try await runUntilSignalled(node, logger: logger)
            try await store.close()
        } catch {
            throw fail(error)
        }
    }
}
