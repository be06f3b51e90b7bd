import FastChatClient
import Foundation

/// A send refused because a peer's key changed: both fingerprints are shown, and the person decides whether the new
/// key is really the peer's before anything is sealed for it.
enum KeyChangePrompt {
    /// True when the new key was trusted (the caller sends again); false when the person said no.
    static func askToTrust(
        _ changed: PeerKeyChanged, client: ChatClient, prompter: Prompter, screen: ChatScreen
    ) async throws -> Bool {
        let peer = TerminalText.safe(changed.peer)
        await screen.say(
            ChatStyle.keyChanged(peer: peer, old: changed.pinnedFingerprint, new: changed.presentedFingerprint))
        let answer = try await prompter.ask(
            "Nothing was sent. Have you checked the new fingerprint with \(peer)? Trust it and send? [y/N] ")
        guard ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
            await screen.say(ChatStyle.hint("Not sent. Nothing goes to \(peer) until you trust the new key."))
            return false
        }
        do {
            try await client.trust(changed.peer, fingerprint: changed.presentedFingerprint)
        } catch {
            await screen.say(ChatStyle.problem("Could not trust \(peer)'s key: \(TerminalText.safe("\(error)"))"))
            return false
        }
        await screen.say(ChatStyle.good("Trusted \(peer)'s new key \(changed.presentedFingerprint)."))
        return true
    }
}
