import ArgumentParser
import FastChatProtocol
import Foundation

struct PasswdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Change your password (the current one as for every command; the new one from "
            + "$FASTCHAT_NEW_PASSWORD, a prompt asked twice, or the next line of standard input)."
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var account: UserOption

    func run() async throws {
        try await client.withSignedInClient(user: account.user) { chat in
            let newPassword = try Self.newPassword(for: account.user)
            try await chat.changePassword(to: newPassword)
        }
        print("Changed the password of \(account.user).")
    }

    /// $FASTCHAT_NEW_PASSWORD, else a prompt without echo (asked twice, so a typo does not lock the account
    /// out), else the next line of standard input.
    static func newPassword(for user: String) throws -> String {
        let password: String
        if let fromEnvironment = ProcessInfo.processInfo.environment["FASTCHAT_NEW_PASSWORD"] {
            password = fromEnvironment
        } else {
            password = try Terminal.secret(prompt: "New password for \(user): ")
            if Terminal.isInteractive,
                try Terminal.secret(prompt: "The new password again: ") != password
            {
                throw ProtocolError(.badRequest, "The two new passwords differ; nothing was changed.")
            }
        }
        guard !password.isEmpty else { throw ProtocolError(.badRequest, "The new password is empty.") }
        return password
    }
}
