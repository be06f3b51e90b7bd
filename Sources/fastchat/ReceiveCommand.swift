import ArgumentParser
import FastChatClient
import FastChatProtocol
import Foundation

struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Print pending messages (each acknowledged, so shown once), then new ones for --wait seconds.",
        discussion: """
            With --count N it exits as soon as N messages (group notices included) have been shown, however long \
            --wait is; with --count and no --wait it waits for them without a time limit. Messages it did not show \
            stay pending for the next receive. An image it cannot save (a full disk, a downloads directory that \
            cannot be written) stops it with exit code 31, that message and those after it still pending.
            """
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var account: UserOption

    @Option(help: "Seconds to keep printing new messages after the pending ones (0, the default: pending only).")
    var wait: Double?

    @Option(help: "Exit as soon as this many messages (group notices included) have been shown.")
    var count: Int?

    @Flag(help: "One JSON object per line.")
    var json = false

    func validate() throws {
        if let wait, !(wait.isFinite && wait >= 0 && wait <= Self.longestWait) {
            throw ValidationError("--wait must be a number of seconds from 0 to \(Int(Self.longestWait)).")
        }
        if let count, count < 1 {
            throw ValidationError("--count must be 1 or more.")
        }
    }

    /// A year: any longer is a typo, and would overflow the clock's arithmetic anyway.
    static let longestWait: Double = 365 * 24 * 3600

    private enum Tick: Sendable {
        case event(ClientEvent)
        case deadline
    }

    func run() async throws {
        // --count alone waits for its messages; otherwise --wait (default 0) bounds the time.
        let deadline: ContinuousClock.Instant? =
            if count != nil, wait == nil { nil } else { .now + .milliseconds(Int((wait ?? 0) * 1000)) }
        let json = self.json
        let count = self.count
        try await client.withSignedInClient(user: account.user) { chat in
            let (ticks, continuation) = AsyncStream.makeStream(of: Tick.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in chat.events { continuation.yield(.event(event)) }
                    continuation.finish()
                }
                if let deadline {
                    group.addTask {
                        try? await Task.sleep(until: deadline)
                        continuation.yield(.deadline)
                    }
                }
                defer { group.cancelAll() }
                // Stops only between messages, so a message is never shown without being acknowledged.
                var shown = 0
                var synced = false
                var deadlinePassed = false
                var done = false
                for await tick in ticks {
                    switch tick {
                    case .deadline:
                        deadlinePassed = true
                    case .event(.synced):
                        synced = true
                    case .event(.message(let message)):
                        Terminal.line(json ? MessageLine.json(message) : MessageLine.text(message.forTerminal))
                        try await chat.acknowledge(message)
                        shown += 1
                    case .event(.notice(let notice)):
                        Terminal.line(json ? MessageLine.json(notice) : MessageLine.text(notice.forTerminal))
                        try await chat.acknowledge(notice)
                        shown += 1
                    case .event(.keyChanged(let peer, let old, let new)):
                        let (peer, old, new) = (TerminalText.safe(peer), TerminalText.safe(old), TerminalText.safe(new))
                        Terminal.warn("WARNING: \(peer)'s identity key has CHANGED (was \(old), now \(new)).")
                    case .event(.rejected(let from, let reason)):
                        Terminal.warn(
                            "Rejected a message claiming to be from \(TerminalText.safe(from)): \(TerminalText.safe(reason))")
                    case .event(.imageNotSaved(let failure)):
                        // Stops here: what came after it stays pending too, so the next receive keeps the order.
                        throw failure
                    case .event(.disconnected(let reason)), .event(.connectionLost(let reason)):
                        throw ProtocolError(.unavailable, reason)
                    case .event(.delivered), .event(.reconnected), .event(.downloading):
                        break
                    }
                    if let count, shown >= count { done = true }
                    if synced, deadlinePassed { done = true }
                    if done { break }
                }
                guard done else { throw ProtocolError(.unavailable, "The connection to the server ended.") }
            }
        }
    }
}
