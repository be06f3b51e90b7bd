import ArgumentParser

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "The interactive client: sign up or in, then chat."
    )

    @OptionGroup var client: ClientOptions

    func run() async throws {}
}
