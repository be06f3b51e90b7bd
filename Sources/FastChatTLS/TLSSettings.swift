import Foundation

/// How a node or balancer gets its certificate, as its command line says: given files, or a cluster CA directory
/// where it is created on first start (the default: `tls/` beside an SQLite store), or no TLS at all.
public struct TLSSettings: Sendable {
    public var certificateFile: String?
    public var keyFile: String?
    public var directory: String?
    /// The cluster CA that node links are checked against, when the certificate files come from elsewhere.
    public var caFile: String?
    public var disabled: Bool

    public init(certificateFile: String?, keyFile: String?, directory: String?, caFile: String?, disabled: Bool) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.directory = directory
        self.caFile = caFile
        self.disabled = disabled
    }

    /// Checks the combination, in one sentence per mistake.
    public func validate() throws {
        if disabled, certificateFile != nil || keyFile != nil || directory != nil || caFile != nil {
            throw TLSSetupError("--no-tls cannot be combined with --tls-cert, --tls-key, --tls-dir or --ca.")
        }
        if (certificateFile == nil) != (keyFile == nil) {
            throw TLSSetupError("--tls-cert and --tls-key go together.")
        }
        if certificateFile != nil, directory != nil {
            throw TLSSetupError("Give either --tls-cert and --tls-key or --tls-dir, not both.")
        }
    }

    /// The identity of the process `name` reachable at `host`; nil when TLS is off. `sqliteFile` is the embedded
    /// store's path, if that is the store, beside which the default directory lies.
    public func identity(name: String, host: String, sqliteFile: String?) throws -> TLSIdentity? {
        try validate()
        if disabled { return nil }
        if let certificateFile, let keyFile {
            let directoryCA = directory.map { TLSDirectory(path: $0).caCertificateFile.path }
            return try TLSIdentity(certificateFile: certificateFile, keyFile: keyFile, caFile: caFile ?? directoryCA)
        }
        guard let directory = directory.map(TLSDirectory.init(path:)) ?? sqliteFile.map(TLSDirectory.beside(sqliteFile:))
        else {
            throw TLSSetupError(
                "With a PostgreSQL store, give the cluster's certificate directory (--tls-dir) or --tls-cert and --tls-key.")
        }
        return try directory.identity(name: name, hosts: certificateHosts(for: host))
    }
}
