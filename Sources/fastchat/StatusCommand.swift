import ArgumentParser
import FastChatBalancer
import FastChatClient
import FastChatProtocol
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the cluster as the balancer sees it: its strategy and every node's health."
    )

    @Option(help: "Balancer as HOST:PORT (default: $FASTCHAT_CONNECT, else 127.0.0.1:7000).")
    var connect: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var tls: TLSClientOptions

    func run() async throws {
        do {
            let endpoint = try Endpoint(
                parsing: connect ?? ProcessInfo.processInfo.environment["FASTCHAT_CONNECT"] ?? "127.0.0.1:7000")
            let status = try await StatusQuery.fetch(
                host: endpoint.host, port: endpoint.port, tls: try tls.clientTLS(home: TLSClientOptions.defaultHome))
            if json {
                Terminal.line(Self.json(status))
                return
            }
            Terminal.line("strategy \(TerminalText.safe(status.strategy))")
            if status.nodes.isEmpty {
                Terminal.line("no chat node is registered")
            }
            let nameWidth = status.nodes.map { TerminalText.safe($0.name).count }.max() ?? 0
            let addressWidth = status.nodes.map { TerminalText.safe($0.address).count }.max() ?? 0
            for var node in status.nodes {
                node.name = TerminalText.safe(node.name)
                node.address = TerminalText.safe(node.address)
                Terminal.line(
                    [
                        node.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0),
                        node.address.padding(toLength: addressWidth, withPad: " ", startingAt: 0),
                        "pid \(node.pid)",
                        node.alive ? "alive" : "dead ",
                        "\(node.connections) \(node.connections == 1 ? "connection" : "connections")",
                        String(format: "%.1f msg/s", Self.rate(node)),
                        "\(node.mailboxPending) pending",
                    ].joined(separator: "  "))
            }
        } catch {
            throw fail(error)
        }
    }

    /// `{"strategy": "...", "nodes": [{"name": "s1", "address": "127.0.0.1:7001", "pid": 123, "alive": true,
    /// "connections": 2, "messages_per_second": 10.5, "mailbox_pending": 3}, ...]}` — keys in this order (a
    /// contract: scripts read it; new keys only ever come last).
    static func json(_ status: Fastchat_V1_ClusterStatus) -> String {
        let nodes = status.nodes.map { node in
            "{\"name\": \(quoted(node.name)), \"address\": \(quoted(node.address)), \"pid\": \(node.pid), "
                + "\"alive\": \(node.alive), \"connections\": \(node.connections), "
                + "\"messages_per_second\": \(String(format: "%.1f", rate(node))), \"mailbox_pending\": \(node.mailboxPending)}"
        }
        return "{\"strategy\": \(quoted(status.strategy)), \"nodes\": [\(nodes.joined(separator: ", "))]}"
    }

    /// The node's messages per second as reported (a value no node reports, such as NaN, shows as 0).
    private static func rate(_ node: Fastchat_V1_NodeStatus) -> Double {
        node.messagesPerSecond.isFinite && node.messagesPerSecond >= 0 ? node.messagesPerSecond : 0
    }

    /// A JSON string literal.
    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
