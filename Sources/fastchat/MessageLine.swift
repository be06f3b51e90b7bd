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
            try container.encodeNil(forKey: .group)
            try container.encode(message.text, forKey: .text)
            try container.encodeNil(forKey: .image)
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
        return "[\(timestamp(message.sentAt))] \(message.from) → \(message.to): \(message.text)\(warning)"
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
