import FastChatClient
import Foundation
import Rainbow

/// How the interactive client words and colours things. Rainbow drops the colour by itself when standard output
/// is not a terminal (or NO_COLOR is set), so a pipe gets plain text.
enum ChatStyle {
    static func incoming(_ message: ReceivedMessage) -> String {
        "\(stamp(message.sentAt)) \(message.from.cyan.bold)\(place(message)): \(message.text)\(image(message))"
            + unverified(message)
    }

    /// " 🖼 image saved to PATH" for a message carrying an image.
    private static func image(_ message: ReceivedMessage) -> String {
        guard let path = message.image else { return "" }
        return (message.text.isEmpty ? "" : " ") + "🖼 image saved to \(path)".magenta
    }

    /// "[#####-----]  50% photo.png"
    static func progress(_ fraction: Double, of name: String) -> String {
        let filled = Int((fraction * 20).rounded())
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled)
        return "[\(bar)] \(String(format: "%3.0f%%", fraction * 100)) \(name)".dim
    }

    /// A message from outside the open room: shown (and so acknowledged), but set apart.
    static func notice(_ message: ReceivedMessage) -> String {
        "✉ \(stamp(message.sentAt)) \(message.from.yellow.bold)\(place(message)) (not in this chat): "
            + "\(message.text)\(image(message))\(unverified(message))"
    }

    /// "@team: carol joined" — the group named as in its messages ("bob @team: hi").
    static func groupNotice(_ notice: GroupNotice) -> String {
        let whom = notice.member ?? ""
        let what =
            switch notice.event {
            case "joined": "\(whom) joined"
            case "left": "\(whom) left"
            case "removed": "\(whom) was removed by \(notice.by)"
            case "unbanned": "\(whom) may join again (unbanned by \(notice.by))"
            case "promoted": "\(whom) was made an admin by \(notice.by)"
            case "password_changed": "\(notice.by) changed the group password"
            case "deleted": "\(notice.by) deleted the group"
            default: "\(notice.event) \(whom) (by \(notice.by))"
            }
        return "ℹ \(stamp(notice.at)) \("@\(notice.group)".magenta): \(what)"
    }

    /// " @team" after the sender of a group message, so "bob @team: hi" reads as bob speaking in team.
    private static func place(_ message: ReceivedMessage) -> String {
        guard let group = message.group else { return "" }
        return " @\(group)".magenta
    }

    /// "alice (admin), bob": admins marked, because they are the ones to ask for an unban or a promotion.
    static func members(_ members: [GroupMemberInfo]) -> String {
        members.map { member in
            let name = TerminalText.safe(member.username)
            return member.role == "admin" ? "\(name) (admin)" : name
        }.joined(separator: ", ")
    }

    static func outgoing(_ text: String, to peer: String, sentAt: Date, delivered: Bool) -> String {
        let ticks = delivered ? "✓✓".green.bold : "✓".green
        return "\(stamp(sentAt)) \("you".green.bold) → \(peer): \(text) \(ticks)"
    }

    static func deliveredLater(_ text: String, to peer: String) -> String {
        "\("✓✓".green.bold) \(peer) has received: \(shortened(text))".dim
    }

    static func notSent(_ text: String, reason: String) -> String {
        "✗ not sent: \(shortened(text)) — \(reason)".red
    }

    static func keyChanged(peer: String, old: String, new: String) -> String {
        [
            "",
            "!!! WARNING: \(peer)'s identity key has CHANGED !!!".red.bold,
            "    pinned before: \(old)".red,
            "    presented now: \(new)".red,
            "    Someone may be impersonating \(peer). Compare the new fingerprint with \(peer) in person"
                .red,
            "    (fastchat whois \(peer)) before trusting their messages.".red,
            "",
        ].joined(separator: "\n")
    }

    static func rejected(from sender: String, reason: String) -> String {
        "!!! A message claiming to be from \(sender) failed verification and was discarded: \(reason)".red.bold
    }

    static func heading(_ text: String) -> String {
        "── \(text) ──".bold
    }

    static func hint(_ text: String) -> String {
        text.dim
    }

    static func problem(_ text: String) -> String {
        text.red
    }

    static func good(_ text: String) -> String {
        text.green
    }

    private static func unverified(_ message: ReceivedMessage) -> String {
        guard !message.verified else { return "" }
        return "  ⚠ sent with a CHANGED key — verify with `fastchat whois \(message.from)`".red.bold
    }

    private static func shortened(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(39)) + "…" : text
    }

    /// "[14:05]" for today, "[2026-11-24 14:05]" for older (pending) mail.
    static func stamp(_ date: Date) -> String {
        let calendar = Calendar.current
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let time = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        guard !calendar.isDateInToday(date) else { return "[\(time)]".dim }
        let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        return "[\(day) \(time)]".dim
    }
}
