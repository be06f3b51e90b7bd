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
        // The client's event stream has one consumer for the whole session; the screen decides what to do.
        let client = self.client
        let pump = Task {
            for await event in client.events { await screen.handle(event) }
        }
        defer { pump.cancel() }
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
