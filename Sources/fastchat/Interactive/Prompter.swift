import Foundation

/// Asks the person one thing at a time. Prompts go through the screen so a notice arriving meanwhile can be printed
/// below the prompt and the prompt shown again.
final class Prompter {
    let keyboard: Keyboard
    let screen: ChatScreen

    init(keyboard: Keyboard, screen: ChatScreen) {
        self.keyboard = keyboard
        self.screen = screen
    }

    /// Throws `SessionEnd` at Ctrl-D, Ctrl-C or when the server is gone.
    func ask(_ prompt: String) async throws -> String {
        try await answer(to: prompt, echoed: keyboard.isTerminal)
    }

    /// $FASTCHAT_PASSWORD (or the `variable` given, e.g. FASTCHAT_GROUP_PASSWORD) if set — the scriptable client's
    /// contract — else a line typed without echo.
    func askSecret(_ prompt: String, from variable: String = "FASTCHAT_PASSWORD") async throws -> String {
        if let password = ProcessInfo.processInfo.environment[variable] {
            return password
        }
        Keyboard.setEcho(false)
        defer { Keyboard.setEcho(true) }
        return try await answer(to: prompt, echoed: false)
    }

    /// A line typed without a prompt (inside a chat, where messages keep arriving).
    func nextLine() async throws -> String {
        try await keyboard.next()
    }

    private func answer(to prompt: String, echoed: Bool) async throws -> String {
        await screen.showPrompt(prompt)
        do {
            let line = try await keyboard.next()
            await screen.answered(echoed: echoed)
            return line
        } catch {
            await screen.answered(echoed: false)
            throw error
        }
    }
}
