import ArgumentParser
import FastChatClient
import FastChatProtocol
import Foundation

/// `fastchat chat` from start to end: connect, sign in or up, the menu, and a sign-out however it ends
/// (Quit, Ctrl-D, Ctrl-C, or the server going away).
struct InteractiveSession {
    let client: ChatClient
    /// From `--user`.
    let fixedUser: String?

    /// The process's exit code.
    func run() async -> ExitCode {
        // Before the keyboard's reader starts: a server met for the first time is asked about on plain stdin.
        do {
            try await client.connect()
        } catch {
            return fail(error)
        }
        let keyboard = Keyboard()
        let screen = ChatScreen(client: client, input: keyboard.feed)
        let prompter = Prompter(keyboard: keyboard, screen: screen)
        // The client's events have one reader for the whole session, a child of it (reading them is also what
        // handles the server's pushes); the screen decides what to do with each.
        let client = self.client
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in client.events { await screen.handle(event) }
            }
            defer { group.cancelAll() }
            return await session(screen: screen, prompter: prompter)
        }
    }

    private func session(screen: ChatScreen, prompter: Prompter) async -> ExitCode {
        await screen.say(ChatStyle.heading("FastChat · connected to node \(await client.nodeName ?? "?")"))

        do {
            let flow = SignInFlow(client: client, prompter: prompter, screen: screen, fixedUser: fixedUser)
            guard let user = try await flow.run() else {
                await client.signOut()
                return .success
            }
            await screen.say(await welcome(user))
            await screen.signedIn()
            await screen.waitUntilSynced(atMost: .seconds(5))
            try await MainMenu(client: client, prompter: prompter, screen: screen).run()
            await signOut(screen)
            return .success
        } catch SessionEnd.endOfInput {
            await signOut(screen)
            return .success
        } catch SessionEnd.interrupted {
            await screen.say("")  // the terminal's "^C" has no line end
            await signOut(screen)
            return ExitCode(130)
        } catch SessionEnd.disconnected(let reason) {
            await screen.leaving()
            return fail(ProtocolError(.unavailable, "Lost the connection to the server: \(reason)"))
        } catch {
            await signOut(screen)
            return fail(error)
        }
    }

    private func welcome(_ user: String) async -> String {
        let node = await client.nodeName ?? "?"
        let fingerprint = await client.fingerprint ?? "?"
        return ChatStyle.good("Signed in as \(user) on node \(node).")
            + "\n" + ChatStyle.hint("Your key fingerprint: \(fingerprint)")
    }

    private func signOut(_ screen: ChatScreen) async {
        await screen.leaving()
        let signedIn = await client.username != nil
        await client.signOut()
        if signedIn { await screen.say(ChatStyle.hint("Signed out. Bye.")) }
    }
}
