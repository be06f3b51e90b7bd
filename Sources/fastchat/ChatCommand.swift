import ArgumentParser

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "The interactive client: sign up or in, then chat.",
        discussion: """
            Reads lines from the terminal or from a pipe. Inside a chat, type a line to send it and /quit to go \
            back to the menu. Ctrl-D at any prompt signs out and exits.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "Your username (when given, it is not asked).")
    var user: String?

    func run() async throws {
        let chat: InteractiveSession
        do {
            chat = InteractiveSession(client: try client.makeClient(reconnects: true, interactive: true), fixedUser: user)
        } catch {
            throw fail(error)
        }
        let code = await chat.run()
        if code != .success { throw code }
    }
}
