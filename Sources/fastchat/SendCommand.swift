import ArgumentParser

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send an end-to-end encrypted message; returns once the server has stored it (✓)."
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var account: UserOption

    @Option(help: "The recipient's username.")
    var to: String?

    @Option(help: "The group to send to (instead of --to).")
    var group: String?

    @Argument(help: "The message text.")
    var text: String

    func validate() throws {
        guard (to == nil) != (group == nil) else {
            throw ValidationError("Give exactly one of --to PEER and --group NAME.")
        }
    }

    func run() async throws {
        try await client.withSignedInClient(user: account.user) { chat in
            if let group {
                let id = try await chat.send(text, toGroup: group)
                Terminal.line("✓ sent to #\(group) (\(id.uuidString.lowercased()))")
            } else if let to {
                let id = try await chat.send(text, to: to)
                Terminal.line("✓ sent to \(to) (\(id.uuidString.lowercased()))")
            }
        }
    }
}
