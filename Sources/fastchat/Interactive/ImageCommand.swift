import FastChatClient
import FastChatProtocol
import Foundation

/// `/image PATH [caption]` in a room: checks the file, uploads it encrypted (with a progress bar for files over
/// 1 MiB) and sends it to the room's person or group.
enum ImageCommand {
    static let help = "/image PATH [caption] sends an image (PNG, JPEG, GIF or WebP)."

    /// The path and caption of a `/image` line; nil for any other line. A path with spaces can be quoted.
    static func parse(_ line: String) -> (path: String, caption: String)? {
        guard line.hasPrefix("/image") else { return nil }
        var rest = line.dropFirst("/image".count).drop { $0 == " " }
        let path: Substring
        if rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") {
            path = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
        } else {
            path = rest.prefix { $0 != " " }
            rest = rest.dropFirst(path.count)
        }
        return (String(path), rest.trimmingCharacters(in: .whitespaces))
    }

    static func send(
        _ path: String, caption: String, to conversation: Conversation, client: ChatClient, screen: ChatScreen
    ) async {
        guard !path.isEmpty else {
            await screen.say(ChatStyle.problem("Give the image's path: \(help)"))
            return
        }
        let expanded = (path as NSString).expandingTildeInPath
        let name = URL(fileURLWithPath: expanded).lastPathComponent
        let size = (try? FileManager.default.attributesOfItem(atPath: expanded)[.size] as? Int) ?? 0
        let reporter = ProgressReporter(screen: screen, name: name, shown: size > 1 << 20)
        let label = caption.isEmpty ? "🖼 \(name)" : "🖼 \(name) — \(caption)"
        let id = UUID()
        await screen.sending(id, text: label, to: conversation, at: Date())
        do {
            switch conversation {
            case .user(let peer):
                _ = try await client.sendImage(at: expanded, caption: caption, to: peer) { await reporter.report($0) }
            case .group(let group):
                _ = try await client.sendImage(at: expanded, caption: caption, toGroup: group) { await reporter.report($0) }
            }
            await screen.accepted(id)
        } catch let changed as PeerKeyChanged {
            let peer = TerminalText.safe(changed.peer)
            await screen.notSent(id, reason: "\(peer)'s key changed: send \(peer) a text to review and trust it first")
        } catch {
            await screen.notSent(id, reason: TerminalText.safe((error as? ProtocolError)?.message ?? "\(error)"))
        }
    }

    /// Prints the bar at every tenth of the upload (the client reports after each chunk, and waits for the line).
    private actor ProgressReporter {
        private let screen: ChatScreen
        private let name: String
        private let shown: Bool
        private var lastTenth = -1

        init(screen: ChatScreen, name: String, shown: Bool) {
            self.screen = screen
            self.name = name
            self.shown = shown
        }

        func report(_ fraction: Double) async {
            let tenth = Int(fraction * 10)
            guard shown, tenth > lastTenth else { return }
            lastTenth = tenth
            await screen.progress(fraction, of: name)
        }
    }
}
