import FastChatProtocol
import Foundation
import SwiftProtobuf

/// Builds structurally valid frames from fuzz bytes, so most inputs get past protobuf parsing and the first checks
/// (names that exist, 16-byte ids, members of real groups) and into the code behind them. The vocabulary is the
/// fixture's: real user and group names, ids the run has used, and integers at the edges where conversions trap.
public struct FuzzVocabulary: Sendable {
    public var names: [String]
    public var groups: [String]
    public var ids: [Data]

    public init(names: [String], groups: [String], ids: [Data] = []) {
        self.names = names
        self.groups = groups
        self.ids = ids
    }
}

extension FuzzInput {
    /// A real name most of the time, else arbitrary text.
    public mutating func name(from choices: [String]) -> String {
        bool() ? pick(choices) ?? "" : string(max: 40)
    }

    /// A 16-byte id (known or fresh) most of the time, else any length.
    public mutating func id(from known: [Data]) -> Data {
        switch byte() % 4 {
        case 0: return Data(data(max: 32))
        case 1: return known.isEmpty ? Data(repeating: byte(), count: 16) : known[Int(byte()) % known.count]
        default: return Data((0..<16).map { _ in byte() })
        }
    }

    public mutating func bytes(max: Int = 255) -> Data { Data(data(max: max)) }

    /// A protobuf message parsed from raw bytes, or its empty value: unknown fields and odd encodings included.
    public mutating func raw<M: SwiftProtobuf.Message>(_ type: M.Type) -> M {
        (try? M(serializedBytes: data())) ?? M()
    }
}

public enum FuzzFrames {
    /// Anything a client can send a node after signing in. Sign-out and sign-in are left out: they would end the
    /// session the rest of the input needs (failed sign-ins are reached through `raw`).
    public static func request(_ input: inout FuzzInput, _ vocabulary: FuzzVocabulary) -> Frame.OneOf_Body? {
        let names = vocabulary.names
        let groups = vocabulary.groups
        switch input.byte() % 18 {
        case 0: return .send(.with { $0.envelope = envelope(&input, vocabulary) })
        case 1: return .send(.with { $0.envelope = envelope(&input, vocabulary) })
        case 2: return .ack(.with { $0.seqs = (0..<Int(input.byte() % 8)).map { _ in input.interesting() } })
        case 3: return .getUser(.with { $0.username = input.name(from: names) })
        case 4: return .getAuthParams(.with { $0.username = input.name(from: names) })
        case 5: return .createGroup(.with {
            $0.name = input.name(from: groups)
            $0.loginKey = input.bytes(max: 40)
            $0.signature = input.bytes(max: 80)
            $0.kdf = kdf(&input)
        })
        case 6: return .getGroupAuthParams(.with { $0.name = input.name(from: groups) })
        case 7: return .joinGroup(.with {
            $0.name = input.name(from: groups)
            $0.signature = input.bytes(max: 80)
            $0.legacyAuthKey = input.bytes(max: 40)
            $0.loginKey = input.bytes(max: 40)
        })
        case 8: return .leaveGroup(.with { $0.name = input.name(from: groups) })
        case 9: return .getGroup(.with { $0.name = input.name(from: groups) })
        case 10: return .listGroups(.init())
        case 11: return .groupAdmin(.with {
            $0.name = input.name(from: groups)
            $0.action = .init(rawValue: Int(input.byte() % 6)) ?? .unspecified
            $0.member = input.name(from: names)
        })
        case 12: return .changeGroupPassword(.with {
            $0.name = input.name(from: groups)
            $0.loginKey = input.bytes(max: 40)
            $0.signature = input.bytes(max: 80)
            $0.kdf = kdf(&input)
        })
        case 13: return .uploadBlob(.with {
            $0.blobID = input.id(from: vocabulary.ids)
            $0.index = UInt32(truncatingIfNeeded: input.interesting())
            $0.chunk = input.bytes()
            $0.last = input.bool()
            $0.size = input.interesting()
        })
        case 14: return .fetchBlob(.with {
            $0.blobID = input.id(from: vocabulary.ids)
            $0.index = UInt32(truncatingIfNeeded: input.interesting())
        })
        case 15: return .signUp(.with {
            $0.username = input.name(from: names)
            $0.loginKey = input.bytes(max: 40)
            $0.signature = input.bytes(max: 80)
            $0.kdf = kdf(&input)
            $0.identity = .with {
                $0.signingKey = input.bytes(max: 40)
                $0.agreementKey = input.bytes(max: 40)
            }
            $0.keyBackup = input.bytes()
        })
        case 16: return .getStatus(.init())
        default: return raw(&input)
        }
    }

    /// A frame body parsed from raw bytes (any case, including the ones `request` leaves out), or nil.
    public static func raw(_ input: inout FuzzInput) -> Frame.OneOf_Body? {
        (try? Frame(serializedBytes: input.data()))?.body
    }

    public static func envelope(_ input: inout FuzzInput, _ vocabulary: FuzzVocabulary) -> Envelope {
        var envelope = Envelope()
        envelope.version = UInt32(truncatingIfNeeded: input.interesting())
        envelope.messageID = input.id(from: vocabulary.ids)
        envelope.sender = input.name(from: vocabulary.names)
        if input.bool() {
            envelope.group = input.name(from: vocabulary.groups)
            envelope.keys = (0..<Int(input.byte() % 4)).map { _ in
                .with {
                    $0.recipient = input.name(from: vocabulary.names)
                    $0.encapsulatedKey = input.bytes(max: 40)
                    $0.ciphertext = input.bytes(max: 60)
                }
            }
        } else {
            envelope.recipient = input.name(from: vocabulary.names)
            envelope.encapsulatedKey = input.bytes(max: 40)
        }
        envelope.ciphertext = input.bytes()
        envelope.signature = input.bytes(max: 70)
        envelope.blobIds = (0..<Int(input.byte() % 3)).map { _ in input.id(from: vocabulary.ids) }
        return envelope
    }

    public static func notice(_ input: inout FuzzInput, _ vocabulary: FuzzVocabulary) -> Fastchat_V1_GroupNotice {
        .with {
            $0.group = input.name(from: vocabulary.groups)
            $0.event = input.pick(["joined", "left", "removed", "unbanned", "promoted", "password_changed", "deleted"])!
            $0.member = input.name(from: vocabulary.names)
            $0.by = input.name(from: vocabulary.names)
            $0.atMs = Int64(bitPattern: input.interesting())
        }
    }

    /// What one node forwards to another: entries holding a stored mailbox item (an envelope or a notice, or raw
    /// bytes) and receipts.
    public static func forward(_ input: inout FuzzInput, _ vocabulary: FuzzVocabulary) -> Fastchat_V1_Forward {
        var forward = Fastchat_V1_Forward()
        for _ in 0..<Int(input.byte() % 4) {
            forward.entries.append(.with {
                $0.recipient = input.name(from: vocabulary.names)
                $0.seq = input.interesting()
                $0.sender = input.name(from: vocabulary.names)
                $0.messageID = input.id(from: vocabulary.ids)
                $0.item = mailboxItem(&input, vocabulary)
                $0.storedAtMs = Int64(bitPattern: input.interesting())
            })
        }
        for _ in 0..<Int(input.byte() % 3) {
            forward.receipts.append(.with {
                $0.to = input.name(from: vocabulary.names)
                $0.receipt = .with {
                    $0.messageID = input.id(from: vocabulary.ids)
                    $0.recipient = input.name(from: vocabulary.names)
                }
            })
        }
        return forward
    }

    static func mailboxItem(_ input: inout FuzzInput, _ vocabulary: FuzzVocabulary) -> Data {
        switch input.byte() % 3 {
        case 0: return (try? Fastchat_V1_MailboxItem.with { $0.envelope = envelope(&input, vocabulary) }.serializedData()) ?? Data()
        case 1: return (try? Fastchat_V1_MailboxItem.with { $0.notice = notice(&input, vocabulary) }.serializedData()) ?? Data()
        default: return input.bytes()
        }
    }

    static func kdf(_ input: inout FuzzInput) -> Fastchat_V1_KdfParams {
        .with {
            $0.log2N = UInt32(truncatingIfNeeded: input.interesting())
            $0.r = UInt32(truncatingIfNeeded: input.interesting())
            $0.p = UInt32(truncatingIfNeeded: input.interesting())
        }
    }
}
