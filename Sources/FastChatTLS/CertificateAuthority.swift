import Crypto
import Foundation
import SwiftASN1
import X509

/// A cluster's own certificate authority: it signs the certificate of the balancer and of every node, and clients
/// and nodes trust exactly it (a private PKI needs no public CA). Keys are P-256, as every TLS 1.3 stack accepts.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    /// Raw bytes, since swift-crypto's key type is not `Sendable`.
    private let privateKeyBytes: Data
    var privateKey: P256.Signing.PrivateKey {
        get throws { try P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes) }
    }

    public static func create(commonName: String = "FastChat cluster CA", now: Date = Date()) throws -> Self {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("FastChat")
            CommonName(commonName)
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(Self.caValidity),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        return Self(certificate: certificate, privateKey: key)
    }

    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let certificate = try Certificate(pemEncoded: certificatePEM)
        let key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw TLSSetupError("The CA's private key does not belong to its certificate.")
        }
        self.init(certificate: certificate, privateKey: key)
    }

    init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        privateKeyBytes = privateKey.rawRepresentation
    }

    /// A certificate for a node or balancer called `name`, valid for every address in `hosts` (DNS names or IP
    /// addresses) and usable both to serve and, for node links, as a client certificate.
    public func issue(name: String, hosts: [String], now: Date = Date()) throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let subject = try DistinguishedName {
            OrganizationName("FastChat")
            CommonName(name)
        }
        let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(Self.leafValidity),
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(hosts.map(GeneralName.init(host:)))
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
            },
            issuerPrivateKey: Certificate.PrivateKey(try privateKey)
        )
        return IssuedCertificate(certificate: certificate, privateKeyPEM: key.pemRepresentation, authority: self.certificate)
    }

    public var certificatePEM: String {
        get throws { try certificate.serializeAsPEM().pemString }
    }

    public var privateKeyPEM: String {
        get throws { try privateKey.pemRepresentation }
    }

    static let caValidity: TimeInterval = 10 * 365 * 24 * 3600
    static let leafValidity: TimeInterval = 2 * 365 * 24 * 3600
}

/// A certificate the cluster CA issued, with its key.
public struct IssuedCertificate: Sendable {
    public let certificate: Certificate
    public let privateKeyPEM: String
    public let authority: Certificate

    /// The leaf followed by the CA, so that a client that trusts on first use sees the CA it pins.
    public var chainPEM: String {
        get throws { try certificate.serializeAsPEM().pemString + "\n" + authority.serializeAsPEM().pemString + "\n" }
    }
}

extension GeneralName {
    /// An IP address literal becomes an IP SAN, anything else a DNS name.
    init(host: String) {
        if let bytes = ipAddressBytes(host) {
            self = .ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
        } else {
            self = .dnsName(host)
        }
    }
}

/// Whether `host` is an IP address literal (no SNI, and certificates name it as an IP SAN) or a host name.
public func isIPAddressLiteral(_ host: String) -> Bool {
    ipAddressBytes(host) != nil
}

/// The 4 or 16 bytes of an IP address literal; nil for a host name.
func ipAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
        return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
        return withUnsafeBytes(of: &v6) { Array($0) }
    }
    return nil
}

/// A TLS set-up problem: a missing or unreadable file, a key that does not match. One sentence.
public struct TLSSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
