import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// Which servers a client believes.
public enum ServerTrust: Sendable {
    /// Only certificates this CA issued (`--ca`, or the CA learned from the balancer, for the node it redirects to).
    case authority(Certificate)
    /// Only the system's root CAs.
    case systemRoots
    /// The system's roots; otherwise the CA pinned for the address in `known`, or, on first contact, the CA the
    /// server presents if `approve` accepts it (then pinned).
    case firstUse(KnownServers, approve: @Sendable (ServerIntroduction) async -> Bool)

    public static func authority(pemFile path: String) throws -> ServerTrust {
        do {
            return .authority(try Certificate(pemEncoded: String(contentsOfFile: path, encoding: .utf8)))
        } catch {
            throw TLSSetupError("Cannot read the CA certificate \(path) (\(error)).")
        }
    }
}

/// A server met for the first time: its address and its CA's fingerprint, for the user to approve.
public struct ServerIntroduction: Sendable {
    public let address: String
    public let fingerprint: String
    public let knownServers: URL
}

/// A server whose certificate checked out.
public struct VerifiedServer: Sendable {
    /// What to trust for the node this server redirects to: the same CA.
    public let trustForRedirects: ServerTrust
    public let channelBinding: [UInt8]
}

/// The server is not the one the client trusts: exit code 4. One sentence.
public struct ServerNotTrusted: Error, CustomStringConvertible {
    public let description: String
}

extension ServerTrust {
    /// Checks `presented` (leaf first) for a connection to `host:port` under this trust.
    public func verify(presented: [NIOSSLCertificate], host: String, port: Int) async throws -> VerifiedServer {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let der = try presented.map { try $0.toDERBytes() }
        let certificates = try der.map { try Certificate(derEncoded: $0) }
        guard let leaf = certificates.first else {
            throw ServerNotTrusted(description: "The server at \(address) presented no certificate.")
        }
        let binding = try ChannelBinding.tlsServerEndPoint(der: der[0])
        let isIP = isIPAddressLiteral(host)
        func validRoot(under roots: CertificateStore) async -> Certificate? {
            var verifier = Verifier(rootCertificates: roots) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: isIP ? nil : host, serverIP: isIP ? host : nil)
            }
            let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(certificates.dropFirst()))
            guard case .validCertificate(let chain) = result else { return nil }
            return chain.last
        }
        switch self {
        case .authority(let authority):
            guard let root = await validRoot(under: CertificateStore([authority])) else {
                throw ServerNotTrusted(
                    description: "The server at \(address) presented a certificate that the trusted CA "
                        + "(\(Self.fingerprint(authority))) did not issue for that address.")
            }
            return VerifiedServer(trustForRedirects: .authority(root), channelBinding: binding)
        case .systemRoots:
            guard await validRoot(under: CertificateStore.systemTrustRoots) != nil else {
                throw ServerNotTrusted(
                    description: "The server at \(address) presented a certificate no system CA issued for that address.")
            }
            return VerifiedServer(trustForRedirects: .systemRoots, channelBinding: binding)
        case .firstUse(let known, let approve):
            if await validRoot(under: CertificateStore.systemTrustRoots) != nil {
                return VerifiedServer(trustForRedirects: .systemRoots, channelBinding: binding)
            }
            guard let candidate = certificates.last, candidate.subject == candidate.issuer else {
                throw ServerNotTrusted(
                    description: "The server at \(address) presented no CA certificate to trust (give its CA with --ca).")
            }
            let presentedPrint = Self.fingerprint(candidate)
            if let pinned = known.fingerprint(for: address), pinned != presentedPrint {
                throw ServerNotTrusted(
                    description: "The server at \(address) presented the CA \(presentedPrint), but \(pinned) is pinned "
                        + "for it in \(known.file.path); if its cluster was re-created on purpose, remove that line.")
            }
            guard let root = await validRoot(under: CertificateStore([candidate])) else {
                throw ServerNotTrusted(
                    description: "The server at \(address) presented a certificate that its CA (\(presentedPrint)) "
                        + "did not issue for that address.")
            }
            if known.fingerprint(for: address) == nil {
                let introduction = ServerIntroduction(address: address, fingerprint: presentedPrint, knownServers: known.file)
                guard await approve(introduction) else {
                    throw ServerNotTrusted(description: "The CA \(presentedPrint) of \(address) was not accepted.")
                }
                try known.pin(presentedPrint, for: address)
            }
            return VerifiedServer(trustForRedirects: .authority(root), channelBinding: binding)
        }
    }

    /// "SHA256:" and the base64 of the certificate's SHA-256, as ssh prints key fingerprints.
    public static func fingerprint(_ certificate: Certificate) -> String {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return "SHA256:?" }
        let digest = SHA256.hash(data: serializer.serializedBytes)
        return "SHA256:" + Data(digest).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }
}
