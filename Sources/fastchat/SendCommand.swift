import ArgumentParser

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send an end-to-end encrypted message; returns once the server has stored it (✓)."
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var account: UserOption

    @Option(help: "The recipient's username.")
    var to: String

    @Argument(help: "The message text.")
    var text: String

    func run() async throws {
        try await client.withSignedInClient(user: account.user) { chat in
            let id = try await chat.send(text, to: to)
            print("✓ sent to \(to) (\(id.uuidString.lowercased()))")
        }
    }
}
