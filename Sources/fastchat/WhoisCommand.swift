import ArgumentParser
import Foundation

struct WhoisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whois",
        abstract: "Show a peer's key fingerprint and whether it is pinned (pins it on first use)."
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var account: UserOption

    @Argument(help: "The peer's username.")
    var peer: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        try await client.withSignedInClient(user: account.user) { chat in
            let status = try await chat.whois(peer)
            if json {
                let object: [String: Any] = [
                    "user": status.username, "fingerprint": status.fingerprint,
                    "pinned": status.wasPinned, "changed": status.changed,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("\(status.username)  \(status.fingerprint)")
            if status.changed {
                Terminal.warn(
                    "WARNING: \(peer)'s key has CHANGED since it was pinned. Nothing is sent to \(peer) until you accept it: "
                        + "verify the fingerprint with them, then run fastchat trust --user \(account.user) \(peer) "
                        + "--fingerprint '\(status.fingerprint)'.")
            } else if status.wasPinned {
                print("pinned: yes (matches the key pinned earlier)")
            } else {
                print("pinned: no (first use; pinned now — compare the fingerprint with \(peer) to be sure)")
            }
        }
    }
}
