import FastChatClient
import Foundation

/// How `receive` prints a message: one JSON object per line (a contract), or one readable line.
enum MessageLine {
    private struct JSONLine: Encodable {
        var message: ReceivedMessage

        enum CodingKeys: String, CodingKey {
            case id, from, to, group, text, image, sentAt = "sent_at", verified
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message.id.uuidString.lowercased(), forKey: .id)
            try container.encode(message.from, forKey: .from)
            try container.encode(message.to, forKey: .to)
            try container.encode(message.group, forKey: .group)
            // An image without a caption has no text.
            try container.encode(message.image != nil && message.text.isEmpty ? nil : message.text, forKey: .text)
            try container.encode(message.image, forKey: .image)
            try container.encode(timestamp(message.sentAt), forKey: .sentAt)
            try container.encode(message.verified, forKey: .verified)
        }
    }

    static func json(_ message: ReceivedMessage) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(JSONLine(message: message))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func text(_ message: ReceivedMessage) -> String {
        let warning = message.verified ? "" : "  [sender's key changed — verify with `fastchat whois`]"
        let target = message.group.map { "#\($0)" } ?? message.to ?? "?"
        let image = message.image.map { " [image saved to \($0)]" } ?? ""
        return "[\(timestamp(message.sentAt))] \(message.from) → \(target): \(message.text)\(image)\(warning)"
    }

    private struct NoticeLine: Encodable {
        var notice: GroupNotice

        enum CodingKeys: String, CodingKey {
            case event, group, member, by, at
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(notice.event, forKey: .event)
            try container.encode(notice.group, forKey: .group)
            try container.encode(notice.member, forKey: .member)
            try container.encode(notice.by, forKey: .by)
            try container.encode(timestamp(notice.at), forKey: .at)
        }
    }

    static func json(_ notice: GroupNotice) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(NoticeLine(notice: notice))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func text(_ notice: GroupNotice) -> String {
        let what =
            switch notice.event {
            case "joined": "\(notice.member ?? "?") joined"
            case "left": "\(notice.member ?? "?") left"
            case "removed": "\(notice.member ?? "?") was removed by \(notice.by)"
            case "unbanned": "\(notice.member ?? "?") was unbanned by \(notice.by)"
            case "promoted": "\(notice.member ?? "?") was made an admin by \(notice.by)"
            case "password_changed": "\(notice.by) changed the group password"
            case "deleted": "\(notice.by) deleted the group"
            default: "\(notice.event) (\(notice.by))"
            }
        return "[\(timestamp(notice.at))] #\(notice.group): \(what)"
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
