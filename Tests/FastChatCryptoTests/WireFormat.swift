import Foundation
import FastChatCrypto

/// An independent re-implementation of the signed envelope bytes, written from the specification rather than
/// shared with the library, so the tests notice if the format (which other clients must reproduce) drifts.
func canonicalSignedBytes(_ envelope: SealedEnvelope) -> Data {
    func u32(_ value: UInt32) -> Data { Data([UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]) }
    func field(_ data: Data) -> Data { u32(UInt32(data.count)) + data }
    func field(_ string: String) -> Data { field(Data(string.utf8)) }

    let id = envelope.messageID.uuid
    let idBytes = Data([id.0, id.1, id.2, id.3, id.4, id.5, id.6, id.7,
                        id.8, id.9, id.10, id.11, id.12, id.13, id.14, id.15])
    let header = field("fastchat/v1/envelope-header") + u32(envelope.version) + idBytes
        + field(envelope.sender) + field(envelope.recipient)
    return field("fastchat/v1/envelope-signature") + field(header)
        + field(envelope.encapsulatedKey) + field(envelope.ciphertext)
}
