import NIOCore
import NIOSSL

/// A client's TLS set-up: one context for all its connections, and what it trusts.
public struct ClientTLS: Sendable {
    public let trust: ServerTrust
    private let context: NIOSSLContext

    public init(trust: ServerTrust) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        // Anything but `.none`, or BoringSSL never calls the custom verification that does the real check.
        configuration.certificateVerification = .fullVerification
        self.init(trust: trust, context: try NIOSSLContext(configuration: configuration))
    }

    private init(trust: ServerTrust, context: NIOSSLContext) {
        self.trust = trust
        self.context = context
    }

    /// The same context, trusting what a verified server's redirect should be checked against.
    public func trusting(_ trust: ServerTrust) -> ClientTLS {
        ClientTLS(trust: trust, context: context)
    }

    /// Adds TLS in front of whatever `channel` carries; the returned check holds the verdict on the server.
    /// Until the server is verified, nothing written to the channel leaves it.
    public func addHandler(to channel: any Channel, host: String, port: Int) throws -> ServerCheck {
        let check = ServerCheck(trust: trust, host: host, port: port)
        let handler = try NIOSSLClientHandler(
            context: context,
            serverHostname: isIPAddressLiteral(host) ? nil : host,
            customVerificationCallbackWithMetadata: { certificates, promise in
                promise.completeWithTask { await check.run(certificates) }
            })
        try channel.pipeline.syncOperations.addHandler(handler)
        return check
    }
}

/// The verdict on one connection's server, reached during its handshake.
public actor ServerCheck {
    private let trust: ServerTrust
    private let host: String
    private let port: Int
    public private(set) var verified: VerifiedServer?
    public private(set) var failure: (any Error)?

    init(trust: ServerTrust, host: String, port: Int) {
        self.trust = trust
        self.host = host
        self.port = port
    }

    func run(_ certificates: [NIOSSLCertificate]) async -> NIOSSLVerificationResultWithMetadata {
        do {
            verified = try await trust.verify(presented: certificates, host: host, port: port)
            return .certificateVerified(VerificationMetadata(nil))
        } catch {
            failure = error
            return .failed
        }
    }
}
