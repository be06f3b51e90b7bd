import ArgumentParser
import FastChatClient
import FastChatProtocol
import Foundation

struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Print pending messages (each acknowledged, so shown once), then new ones for --wait seconds."
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var account: UserOption

    @Option(help: "Seconds to keep printing new messages after the pending ones (0: pending only).")
    var wait: Double = 0

    @Flag(help: "One JSON object per line.")
    var json = false

    private enum Tick: Sendable {
        case event(ClientEvent)
        case deadline
    }

    func run() async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(max(0, wait) * 1000))
        let json = self.json
        try await client.withSignedInClient(user: account.user) { chat in
            let (ticks, continuation) = AsyncStream.makeStream(of: Tick.self)
            let forwarder = Task {
                for await event in chat.events { continuation.yield(.event(event)) }
            }
            let timer = Task {
                try? await Task.sleep(until: deadline)
                continuation.yield(.deadline)
            }
            defer {
                forwarder.cancel()
                timer.cancel()
            }
            // Stops only between messages, so a message is never shown without being acknowledged.
            var synced = false
            var deadlinePassed = false
            for await tick in ticks {
                switch tick {
                case .deadline:
                    deadlinePassed = true
                case .event(.synced):
                    synced = true
                case .event(.message(let message)):
                    Terminal.line(json ? MessageLine.json(message) : MessageLine.text(message))
                    try await chat.acknowledge(message)
                case .event(.notice(let notice)):
                    Terminal.line(json ? MessageLine.json(notice) : MessageLine.text(notice))
                    try await chat.acknowledge(notice)
                case .event(.keyChanged(let peer, let old, let new)):
                    Terminal.warn("WARNING: \(peer)'s identity key has CHANGED (was \(old), now \(new)).")
                case .event(.rejected(let from, let reason)):
                    Terminal.warn("Rejected a message claiming to be from \(from): \(reason)")
                case .event(.disconnected(let reason)), .event(.connectionLost(let reason)):
                    throw ProtocolError(.unavailable, reason)
                case .event(.delivered), .event(.reconnected), .event(.downloading):
                    break
                }
                if synced, deadlinePassed { break }
            }
        }
    }
}
