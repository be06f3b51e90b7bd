import FastChatTLS
import NIOCore
import NIOSSL

/// Who is on the other end of an accepted connection: its address and, on TLS, the certificate it presented
/// (only node links present one; the TLS handler has already checked that the cluster CA issued it).
struct PeerIdentity: Sendable {
    let host: String?
    private let channel: (any Channel)?

    init(channel: any Channel) {
        host = channel.remoteAddress?.ipAddress
        self.channel = channel
    }

    /// For tests and in-memory connections: an address only.
    init(host: String?) {
        self.host = host
        channel = nil
    }

    /// The common name of the peer's verified certificate; nil on plaintext or when it presented none.
    func certificateName() async -> String? {
        guard let channel, let certificate = try? await channel.nioSSL_peerCertificate().get(),
            let der = try? certificate.toDERBytes()
        else { return nil }
        return certificateCommonName(der: der)
    }
}

extension PeerIdentity: CustomStringConvertible {
    /// The full remote address (with its port) for logs.
    var description: String {
        channel?.remoteAddress.map { "\($0)" } ?? host ?? "?"
    }
}
