import ArgumentParser
import FastChatProtocol

struct SignUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signup",
        abstract: "Create an account (the password comes from $FASTCHAT_PASSWORD, a prompt, or standard input)."
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var account: UserOption

    func run() async throws {
        do {
            let chat = try client.makeClient()
            let password = try Terminal.password(prompt: "Choose a password for \(account.user): ")
            guard !password.isEmpty else {
                throw ProtocolError(.badRequest, "The password is empty.")
            }
            try await chat.signUp(username: account.user, password: password)
            await chat.signOut()
            print("Signed up \(account.user).")
        } catch {
            throw fail(error)
        }
    }
}
