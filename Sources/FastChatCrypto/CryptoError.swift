/// Every failure FastChatCrypto reports. Cases carry no secret material, so they are safe to log.
public enum CryptoError: Error, Sendable, Equatable {
    case invalidParameters(String)
    case invalidHash
    case invalidKey
    case cannotDecrypt
    case badSignature
    case wrongRecipient
    case notARecipient
    case unsupportedVersion(UInt32)
    case attachmentMismatch
    case truncated
}

extension CryptoError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidParameters(let reason):
            return "The parameters are invalid: \(reason)."
        case .invalidHash:
            return "The stored authentication hash is malformed."
        case .invalidKey:
            return "The key is malformed or has the wrong length."
        case .cannotDecrypt:
            return "The data could not be decrypted; the key is wrong or the data was tampered with."
        case .badSignature:
            return "The signature does not match the sender's key."
        case .wrongRecipient:
            return "The message is addressed to a different recipient."
        case .notARecipient:
            return "The group message was not encrypted for this member."
        case .unsupportedVersion(let version):
            return "Format version \(version) is not supported."
        case .attachmentMismatch:
            return "The attachment's size or SHA-256 does not match what the message announced."
        case .truncated:
            return "The attachment is incomplete; its last chunk is missing."
        }
    }
}
