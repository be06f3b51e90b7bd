import ArgumentParser
import FastChatClient
import Foundation

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send an end-to-end encrypted message or image; returns once the server has stored it (✓)."
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var account: UserOption

    @Option(help: "The recipient's username.")
    var to: String?

    @Option(help: "The group to send to (instead of --to).")
    var group: String?

    @Option(help: "An image to send (PNG, JPEG, GIF or WebP), encrypted end to end.")
    var image: String?

    @Option(help: "A caption for --image.")
    var caption: String?

    @Argument(help: "The message text (not with --image; use --caption).")
    var text: String?

    func validate() throws {
        guard (to == nil) != (group == nil) else {
            throw ValidationError("Give exactly one of --to PEER and --group NAME.")
        }
        if image == nil {
            guard text != nil else { throw ValidationError("Give the message text, or --image FILE.") }
            guard caption == nil else { throw ValidationError("--caption goes with --image.") }
        } else if text != nil {
            throw ValidationError("With --image, give the text as --caption.")
        }
    }

    func run() async throws {
        try await client.withSignedInClient(user: account.user) { chat in
            let id: UUID
            let target: String
            switch (image, group, to) {
            case (let image?, let group?, _):
                id = try await chat.sendImage(at: image, caption: caption ?? "", toGroup: group)
                target = "#\(group)"
            case (let image?, nil, let to?):
                id = try await chat.sendImage(at: image, caption: caption ?? "", to: to)
                target = to
            case (nil, let group?, _):
                id = try await chat.send(text ?? "", toGroup: group)
                target = "#\(group)"
            case (nil, nil, let to?):
                id = try await chat.send(text ?? "", to: to)
                target = to
            default:
                return
            }
            Terminal.line("✓ sent to \(target) (\(id.uuidString.lowercased()))")
        }
    }
}
