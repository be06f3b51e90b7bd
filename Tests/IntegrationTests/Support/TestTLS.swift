import FastChatTLS
import Foundation

/// A throwaway cluster CA for a test: certificates for nodes and the balancer on loopback, and a client trust that
/// accepts exactly this CA. Keys are cheap (P-256), so every test may have its own.
struct TestTLS: Sendable {
    let directory: TLSDirectory
    let clientTLS: ClientTLS

    /// A CA in `path` (created if missing, reused otherwise: a restarted node keeps its certificate).
    init(path: String) throws {
        directory = TLSDirectory(path: path)
        clientTLS = try ClientTLS(trust: .authority(try directory.authority(create: true).certificate))
    }

    init(in parent: URL) throws {
        try self.init(path: parent.appendingPathComponent("tls").path)
    }

    func identity(_ name: String) throws -> TLSIdentity {
        try directory.identity(name: name, hosts: certificateHosts(for: "127.0.0.1"))
    }

    var caFile: String { directory.caCertificateFile.path }

    /// What a `fastchat server` or `balancer` process of this cluster is started with.
    var serverArguments: [String] { ["--tls-dir", directory.url.path] }
}
