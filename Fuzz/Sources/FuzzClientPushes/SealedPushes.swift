import FastChatClient
import FastChatCrypto
import FastChatProtocol
import Foundation
import FuzzSupport

/// Pushes whose envelopes are sealed and signed for real (by `alice` to `me`, 1:1 or in a group), so the client's
/// checks pass and what the input controls is the opened content: text, ids, times and image references, down to
/// the image's chunks. Sometimes a header field is changed after sealing, to reach each rejection.
extension ClientFixture {
    func sealedDeliver(_ input: inout FuzzInput, seq: UInt64, blobs: inout [Data: [Data]]) -> Frame.OneOf_Body? {
        let id = UUID(bytes: input.id(from: vocabulary.ids)) ?? UUID()
        let group = input.bool() ? input.name(from: vocabulary.groups) : ""
        var content = MessageContent()
        if input.byte() < 32 {
            content = input.raw(MessageContent.self)
        } else {
            content.sender = input.byte() < 240 ? "alice" : input.name(from: vocabulary.names)
            content.recipient = group.isEmpty ? "me" : ""
            content.group = group
            content.messageID = input.byte() < 240 ? id.bytes : input.id(from: vocabulary.ids)
            content.sentAtMs = Int64(bitPattern: input.interesting())
            content.text = input.string()
            if input.bool() {
                content.image = image(&input, blobs: &blobs)
            }
        }
        let plaintext = input.byte() < 16 ? input.bytes() : (try? content.serializedData()) ?? Data()
        var envelope: Envelope
        do {
            if group.isEmpty {
                envelope = Envelope(try EnvelopeCrypto.seal(
                    plaintext, messageID: id, sender: "alice", senderIdentity: alice, recipient: "me",
                    recipientKey: me.publicIdentity))
            } else {
                envelope = Envelope(try GroupEnvelopeCrypto.seal(
                    plaintext, messageID: id, sender: "alice", senderIdentity: alice, group: group,
                    recipients: [("me", me.publicIdentity), ("carol", carol.publicIdentity)]))
            }
        } catch {
            return nil
        }
        switch input.byte() % 16 {
        case 0: envelope.sender = input.name(from: vocabulary.names)
        case 1: envelope.recipient = input.name(from: vocabulary.names)
        case 2: envelope.version = UInt32(truncatingIfNeeded: input.interesting())
        case 3: envelope.keys.removeAll()
        case 4: envelope.signature = input.bytes(max: 70)
        case 5: envelope.group = input.name(from: vocabulary.groups)
        default: break
        }
        return .deliver(.with {
            $0.seq = seq
            $0.envelope = envelope
            $0.storedAtMs = Int64(bitPattern: input.interesting())
        })
    }

    /// An image reference; half the time to a blob that really holds a sealed image (the input's bytes behind an
    /// image signature), with its fields right or one of them wrong.
    private func image(_ input: inout FuzzInput, blobs: inout [Data: [Data]]) -> Fastchat_V1_ImageRef {
        var image = Fastchat_V1_ImageRef()
        image.blobID = input.id(from: vocabulary.ids)
        image.fileName = input.string(max: 80)
        image.mediaType = input.string(max: 20)
        if input.bool() {
            let magic: [UInt8] = input.pick([
                [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF], Array("GIF89a".utf8), [],
            ])!
            let chunkSize = input.bool() ? AttachmentCrypto.chunkSize : Int(input.byte() % 64) + 1
            if let sealed = try? AttachmentCrypto.seal(Data(magic + input.data()), chunkSize: chunkSize) {
                blobs[image.blobID] = sealed.chunks
                image.key = sealed.key
                image.size = UInt64(sealed.size)
                image.sha256 = sealed.sha256
                image.chunkCount = UInt32(sealed.chunks.count)
            }
        } else {
            image.key = input.bytes(max: 40)
            image.sha256 = input.bytes(max: 40)
            blobs[image.blobID] = (0..<Int(input.byte() % 3)).map { _ in input.bytes() }
        }
        switch input.byte() % 8 {
        case 0: image.size = input.interesting()
        case 1: image.chunkCount = UInt32(truncatingIfNeeded: input.interesting())
        case 2: image.key = input.bytes(max: 40)
        case 3: image.sha256 = input.bytes(max: 40)
        default: break
        }
        return image
    }
}
