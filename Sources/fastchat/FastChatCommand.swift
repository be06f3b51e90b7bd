import ArgumentParser

@main
struct FastChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fastchat",
        abstract: "End-to-end encrypted, multi-server chat.",
        subcommands: [
            ServerCommand.self,
            SignUpCommand.self,
            SendCommand.self,
            ReceiveCommand.self,
            WhoisCommand.self,
            ChatCommand.self,
        ]
    )
}
