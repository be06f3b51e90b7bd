import ArgumentParser
import Foundation

@main
struct FastChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fastchat",
        abstract: "End-to-end encrypted, multi-server chat.",
        subcommands: [
            ServerCommand.self,
            BalancerCommand.self,
            DrainCommand.self,
            SignUpCommand.self,
            PasswdCommand.self,
            SendCommand.self,
            ReceiveCommand.self,
            WhoisCommand.self,
            TrustCommand.self,
            GroupCommand.self,
            ChatCommand.self,
            StatusCommand.self,
            ClusterCommand.self,
            BenchCommand.self,
            CertCommand.self,
        ]
    )

    /// As ArgumentParser's, except that a usage error exits with 1 ("any other failure" in the exit-code contract)
    /// rather than 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(1)
            }
            exit(withError: error)
        }
    }
}
