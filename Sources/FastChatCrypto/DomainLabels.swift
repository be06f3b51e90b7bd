import Foundation

/// Every label that separates one use of a key or hash from another. Changing any of these breaks
/// compatibility with existing accounts, backups and messages, so they are versioned in the text itself.
enum DomainLabel {
    static let accountSaltPrefix = Data("fastchat/v1/account/".utf8)
    static let authKey = Data("fastchat/v1/auth".utf8)
    static let vaultKey = Data("fastchat/v1/vault".utf8)
    static let loginKey = Data("fastchat/v1/login-key".utf8)
    static let groupLoginKey = Data("fastchat/v1/group-login-key".utf8)
    static let loginProof = Data("fastchat/v1/login-proof".utf8)
    static let keyBackup = Data("fastchat/v1/key-backup".utf8)
    static let fingerprint = Data("fastchat/v1/fingerprint".utf8)
    static let messageInfo = Data("fastchat/v1/message".utf8)
    static let envelopeHeader = Data("fastchat/v1/envelope-header".utf8)
    static let envelopeSignature = Data("fastchat/v1/envelope-signature".utf8)
    static let groupKeyInfo = Data("fastchat/v1/group-key".utf8)
    static let groupHeader = Data("fastchat/v1/group-header".utf8)
    static let groupSignature = Data("fastchat/v1/group-signature".utf8)
    static let attachmentChunk = Data("fastchat/v1/attachment-chunk".utf8)
}
