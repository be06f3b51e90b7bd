import FastChatClient
import FastChatProtocol
import Foundation

/// The first screen: Sign in / Sign up / Quit, each outcome explained, and back to the choice after a failure.
struct SignInFlow {
    private enum Choice: Int, CaseIterable {
        case signIn = 1
        case signUp
        case quit

        var title: String {
            switch self {
            case .signIn: "Sign in"
            case .signUp: "Sign up (create an account)"
            case .quit: "Quit"
            }
        }

        /// A number, or the start of the title ("in", "up", "q" …) for people who type words.
        init?(answer: String) {
            let answer = answer.trimmingCharacters(in: .whitespaces).lowercased()
            if let number = Int(answer), let choice = Choice(rawValue: number) {
                self = choice
                return
            }
            switch answer {
            case "signin", "sign in", "in", "login", "i": self = .signIn
            case "signup", "sign up", "up", "register", "u": self = .signUp
            case "quit", "q", "exit": self = .quit
            default: return nil
            }
        }
    }

    let client: ChatClient
    let prompter: Prompter
    let screen: ChatScreen
    /// From `--user`: when given, the name is never asked.
    let fixedUser: String?

    /// The signed-in username, or nil when the person chose Quit.
    func run() async throws -> String? {
        while true {
            await screen.say("")
            for choice in Choice.allCases {
                await screen.say("  \(choice.rawValue)) \(choice.title)")
            }
            let answer = try await prompter.ask("Choose [1-\(Choice.allCases.count)]: ")
            guard let choice = Choice(answer: answer) else {
                if !answer.isEmpty {
                    await screen.say(ChatStyle.problem("Type 1 to sign in, 2 to sign up or 3 to quit."))
                }
                continue
            }
            switch choice {
            case .quit:
                return nil
            case .signIn:
                if let user = try await signIn() { return user }
            case .signUp:
                if let user = try await signUp() { return user }
            }
            await screen.say(ChatStyle.hint("Try again, or choose 3 to quit."))
        }
    }

    private func signIn() async throws -> String? {
        guard let user = try await username() else { return nil }
        let password = try await prompter.askSecret("Password for \(user): ")
        await screen.say(ChatStyle.hint("Signing in…"))
        do {
            try await client.signIn(username: user, password: password)
        } catch {
            await screen.say(ChatStyle.problem(Self.explain(error, user: user)))
            return nil
        }
        return user
    }

    private func signUp() async throws -> String? {
        guard let user = try await username() else { return nil }
        guard let password = try await newPassword(for: user) else { return nil }
        await screen.say(ChatStyle.hint("Creating the account and its keys…"))
        do {
            try await client.signUp(username: user, password: password)
            await screen.say(ChatStyle.good("Account \(user) created."))
            try await client.signIn(username: user, password: password)
        } catch {
            await screen.say(ChatStyle.problem(Self.explain(error, user: user)))
            return nil
        }
        return user
    }

    private func username() async throws -> String? {
        var user = fixedUser ?? ""
        if fixedUser == nil {
            user = try await prompter.ask("Username: ").trimmingCharacters(in: .whitespaces)
        }
        if let problem = Names.problem(with: user) {
            await screen.say(ChatStyle.problem(problem))
            return nil
        }
        return user
    }

    /// Asked twice, because a typo in a password nobody can see would lock the person out of the new account.
    private func newPassword(for user: String) async throws -> String? {
        if let password = ProcessInfo.processInfo.environment["FASTCHAT_PASSWORD"] {
            return password
        }
        let password = try await prompter.askSecret("Choose a password for \(user): ")
        guard !password.isEmpty else {
            await screen.say(ChatStyle.problem("The password is empty."))
            return nil
        }
        guard try await prompter.askSecret("Type it again: ") == password else {
            await screen.say(ChatStyle.problem("The two passwords do not match."))
            return nil
        }
        return password
    }

    /// One sentence per outcome the seed named, saying what happened and what to do about it.
    static func explain(_ error: any Error, user: String) -> String {
        TerminalText.safe(sentence(for: error, user: user))
    }

    private static func sentence(for error: any Error, user: String) -> String {
        guard let error = error as? ProtocolError else {
            return "Something went wrong: \(error)."
        }
        switch error.code {
        case .incorrectPassword:
            return "Incorrect password for \(user)."
        case .noSuchUser:
            return "There is no user called \(user). Check the spelling, or choose Sign up to create the account."
        case .alreadyLoggedIn:
            // The server's sentence names the node holding the session.
            return "\(error.message) Only one session per account: sign out there (or quit that program) first."
        case .usernameTaken:
            return "The username \(user) is already taken. Choose another one, or Sign in if it is yours."
        case .unavailable:
            return "Cannot reach the server: \(error.message)"
        default:
            return error.message
        }
    }
}
