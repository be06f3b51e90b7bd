import Foundation
import Crypto

extension PublicIdentity {
    static let fingerprintByteCount = 20
    static let bytesPerGroup = 2

    /// For comparing keys out of band: SHA-256 over both keys (domain-separated, length-prefixed), first 20 bytes,
    /// lowercase hex in 10 space-separated groups of 4, e.g. "3f2a 91bc …".
    public var fingerprint: String {
        var encoder = CanonicalEncoder()
        encoder.append(DomainLabel.fingerprint)
        encoder.append(signingKey)
        encoder.append(agreementKey)
        let digest = SHA256.hash(data: encoder.bytes).prefix(Self.fingerprintByteCount)
        let pairs = digest.map { String(format: "%02x", $0) }
        return stride(from: 0, to: pairs.count, by: Self.bytesPerGroup)
            .map { pairs[$0..<$0 + Self.bytesPerGroup].joined() }
            .joined(separator: " ")
    }
}
