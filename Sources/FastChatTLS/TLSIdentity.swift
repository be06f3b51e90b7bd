import Foundation
import NIOSSL
import X509

/// What a node or balancer presents: its certificate chain and key, and the cluster CA it checks node links
/// against (empty when its certificate came from elsewhere and no CA was given).
public struct TLSIdentity: Sendable {
    public let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey
    public let authority: [NIOSSLCertificate]
    /// RFC 5929 `tls-server-end-point` of the leaf: what a client that saw this certificate binds its sign-in to.
    public let channelBinding: [UInt8]
    let leaf: Certificate

    public init(certificateFile: String, keyFile: String, caFile: String?) throws {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            let authority = try caFile.map { try NIOSSLCertificate.fromPEMFile($0) } ?? []
            try self.init(chain: chain, key: key, authority: authority)
        } catch let error as TLSSetupError {
            throw error
        } catch {
            throw TLSSetupError("Cannot load the certificate \(certificateFile) and key \(keyFile) (\(error)).")
        }
    }

    init(_ issued: IssuedCertificate) throws {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(try issued.chainPEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem)
        let authority = try NIOSSLCertificate(bytes: Array(try issued.authority.serializeAsPEM().pemString.utf8), format: .pem)
        try self.init(chain: chain, key: key, authority: [authority])
    }

    private init(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, authority: [NIOSSLCertificate]) throws {
        guard let first = chain.first else { throw TLSSetupError("The certificate file holds no certificate.") }
        self.chain = chain
        self.key = key
        self.authority = authority
        let der = try first.toDERBytes()
        leaf = try Certificate(derEncoded: der)
        channelBinding = try ChannelBinding.tlsServerEndPoint(der: der)
    }

    /// What this process trusts when it dials another member of its cluster (a balancer probing a node): the
    /// cluster CA, or the system's roots when its certificate came from elsewhere without one.
    public func clusterTrust() throws -> ServerTrust {
        guard let authority = authority.first else { return .systemRoots }
        return .authority(try Certificate(derEncoded: authority.toDERBytes()))
    }

    /// The name a node's certificate was issued to (its common name).
    public var name: String? { leaf.subject.commonName }

    func isUsable(issuedBy authority: Certificate, for hosts: [String], at now: Date) -> Bool {
        guard leaf.issuer == authority.subject, leaf.notValidAfter > now.addingTimeInterval(30 * 24 * 3600),
            let presentedAuthority = self.authority.first,
            (try? Certificate(derEncoded: presentedAuthority.toDERBytes())) == authority,
            let names = try? leaf.extensions.subjectAlternativeNames
        else { return false }
        let covered = Set(names.map { "\($0)" })
        return hosts.allSatisfy { covered.contains("\(GeneralName(host: $0))") }
    }

    /// Serves TLS 1.3. With a cluster CA, a peer may present a certificate (node links do) and it must then be one
    /// the CA issued; clients present none.
    public func makeServerContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv13
        if !authority.isEmpty {
            configuration.certificateVerification = .optionalVerification
            configuration.trustRoots = .certificates(authority)
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Dials another node: presents this node's certificate and accepts only a peer the cluster CA issued for the
    /// address it registered. (Without a cluster CA the system's roots check the peer, and the peer, having no CA
    /// to check this node's certificate against, refuses the link: clusters with certificates from elsewhere give
    /// every node `--ca`.)
    public func makeLinkContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateChain = chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(key)
        if !authority.isEmpty { configuration.trustRoots = .certificates(authority) }
        configuration.certificateVerification = .fullVerification
        return try NIOSSLContext(configuration: configuration)
    }
}

/// The common name a peer's certificate (DER) was issued to: a node link's node name.
public func certificateCommonName(der: [UInt8]) -> String? {
    (try? Certificate(derEncoded: der))?.subject.commonName
}

extension DistinguishedName {
    var commonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let value = String(attribute.value) { return value }
            }
        }
        return nil
    }
}
