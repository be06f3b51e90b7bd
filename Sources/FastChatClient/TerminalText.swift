/// Remote text made safe to show on a terminal. Anything another user (or a server) wrote could otherwise move the
/// cursor, erase lines, retitle the window or reverse the reading order, and so forge what the screen shows
/// ("\r\u{1B}[2K alice → you: …"). Control characters become visible instead of acting: C0 controls and DEL as their
/// Unicode control pictures (ESC as ␛, a newline as ␊), C1 controls and the invisible bidi and line-breaking formats
/// as `<U+XXXX>`. Printable text, emoji and every script pass unchanged. For terminals only: `--json` stays exact.
public enum TerminalText {
    public static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00...0x1F:
                result.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F:
                result.append("\u{2421}")
            default:
                if needsEscape(scalar) {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result.append(contentsOf: "<U+\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex)>".unicodeScalars)
                } else {
                    result.append(scalar)
                }
            }
        }
        return String(result)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // Bidi embeddings, overrides and isolates; the Arabic letter mark; marks that flip neighbouring text.
        case 0x202A...0x202E, 0x2066...0x2069, 0x061C, 0x200E, 0x200F: true
        // Line and paragraph separators: a new line to the terminal's text layout.
        case 0x2028, 0x2029: true
        default: false
        }
    }
}

extension ReceivedMessage {
    /// A copy whose remote strings are safe for a terminal (id, seq and dates unchanged, so it acknowledges as is).
    public var forTerminal: ReceivedMessage {
        var copy = self
        copy.from = TerminalText.safe(from)
        copy.to = to.map(TerminalText.safe)
        copy.group = group.map(TerminalText.safe)
        copy.text = TerminalText.safe(text)
        copy.image = image.map(TerminalText.safe)
        return copy
    }
}

extension GroupNotice {
    public var forTerminal: GroupNotice {
        var copy = self
        copy.group = TerminalText.safe(group)
        copy.event = TerminalText.safe(event)
        copy.member = member.map(TerminalText.safe)
        copy.by = TerminalText.safe(by)
        return copy
    }
}

extension ClientEvent {
    /// The event with every remote string made safe for a terminal.
    public var forTerminal: ClientEvent {
        let safe = TerminalText.safe
        return switch self {
        case .message(let message): .message(message.forTerminal)
        case .notice(let notice): .notice(notice.forTerminal)
        case .delivered(let id, let recipient): .delivered(messageID: id, recipient: safe(recipient))
        case .keyChanged(let peer, let old, let new):
            .keyChanged(peer: safe(peer), oldFingerprint: safe(old), newFingerprint: safe(new))
        case .rejected(let from, let reason): .rejected(from: safe(from), reason: safe(reason))
        case .imageNotSaved(let failure):
            .imageNotSaved(ImageNotSaved(
                sender: safe(failure.sender), fileName: safe(failure.fileName), directory: safe(failure.directory),
                reason: safe(failure.reason)))
        case .synced: self
        case .disconnected(let reason): .disconnected(reason: safe(reason))
        case .reconnected(let node): .reconnected(node: safe(node))
        case .downloading(let name, let fraction): .downloading(fileName: safe(name), fraction: fraction)
        case .connectionLost(let reason): .connectionLost(reason: safe(reason))
        }
    }
}
