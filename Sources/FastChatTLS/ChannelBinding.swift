import Crypto
import X509

/// RFC 5929 `tls-server-end-point`: a hash of the server's certificate as the client received it. A sign-in signed
/// over it is worthless on a connection to any other server, a relaying man in the middle included. (RFC 9266's
/// `tls-exporter` would be stronger, but swift-nio-ssl does not expose the exporter.)
public enum ChannelBinding {
    public static func tlsServerEndPoint(der: [UInt8]) throws -> [UInt8] {
        let certificate = try Certificate(derEncoded: der)
        // The certificate's own signature hash, with MD5 and SHA-1 raised to SHA-256 (RFC 5929 section 4.1).
        switch certificate.signatureAlgorithm {
        case .ecdsaWithSHA384, .sha384WithRSAEncryption:
            return Array(SHA384.hash(data: der))
        case .ecdsaWithSHA512, .sha512WithRSAEncryption:
            return Array(SHA512.hash(data: der))
        default:
            return Array(SHA256.hash(data: der))
        }
    }
}
