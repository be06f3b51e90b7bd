import ArgumentParser
import Foundation

struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Accept the key the server now presents for a peer (after a key change), replacing the pinned one.",
        discussion: """
            Until a changed key is trusted, nothing is sent to the peer (exit 14) and their messages show as \
            unverified. Compare the fingerprint with the peer first (fastchat whois); with --fingerprint only that \
            key is accepted.
            """
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var account: UserOption

    @Argument(help: "The peer's username.")
    var peer: String

    @Option(help: "Accept the key only if this is its fingerprint (spaces and case do not matter).")
    var fingerprint: String?

    func run() async throws {
        try await client.withSignedInClient(user: account.user) { chat in
            let (old, new) = try await chat.trust(peer, fingerprint: fingerprint)
            switch old {
            case new:
                Terminal.line("\(peer)'s key was already trusted: \(new)")
            case nil:
                Terminal.line("Trusted \(peer)'s key: \(new)")
            case let old?:
                Terminal.line("Trusted \(peer)'s new key: \(new) (replacing \(old))")
            }
        }
    }
}
