import Foundation
import PostgresNIO

/// A parsed `postgres://USER:PASSWORD@HOST:PORT/DATABASE` URL. Like libpq, a missing port means 5432, a missing user
/// the `USER` of the environment and a missing database the user's name. `?sslmode=disable|prefer|require` selects
/// TLS (default: prefer, which falls back to plain TCP when the server has no TLS; require verifies the server's
/// certificate and host name against the system's CAs, or against the CA file `sslrootcert=FILE` names).
struct PostgresURL: Sendable {
    enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    let text: String
    let host: String
    let port: Int
    let username: String
    let password: String?
    let database: String
    let tlsMode: TLSMode
    /// A CA certificate (PEM) to verify the server with, instead of the system's.
    let rootCertificateFile: String?

    init(parsing text: String) throws {
        guard let components = URLComponents(string: text),
            ["postgres", "postgresql"].contains(components.scheme?.lowercased() ?? ""),
            let host = components.host, !host.isEmpty
        else {
            throw StoreError.unsupportedURL(
                "\"\(Self.masking(text))\" is not a valid PostgreSQL URL: use postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
        }
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? TLSMode.prefer.rawValue
        guard let tlsMode = TLSMode(rawValue: sslmode) else {
            throw StoreError.unsupportedURL(
                "The sslmode \"\(sslmode)\" in the database URL is not supported: use disable, prefer or require.")
        }
        let username = components.user.flatMap { $0.isEmpty ? nil : $0 }
            ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.text = text
        self.host = host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        self.database = path.isEmpty ? username : path
        self.tlsMode = tlsMode
        rootCertificateFile = components.queryItems?.first { $0.name == "sslrootcert" }?.value
    }

    /// The URL as given, with its password (if any) replaced by `***`: fit for logs and error messages.
    var masked: String { Self.masking(text) }

    /// The same server and credentials, another database (tests create one per case).
    func withDatabase(_ name: String) throws -> PostgresURL {
        guard var components = URLComponents(string: text) else { return self }
        components.path = "/" + name
        return try PostgresURL(parsing: components.string ?? text)
    }

    var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: clientTLS)
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: try connectionTLS())
    }

    private var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let rootCertificateFile { configuration.trustRoots = .file(rootCertificateFile) }
        return configuration
    }

    private var clientTLS: PostgresClient.Configuration.TLS {
        switch tlsMode {
        case .disable: .disable
        case .prefer: .prefer(tlsConfiguration)
        case .require: .require(tlsConfiguration)
        }
    }

    private func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch tlsMode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration))
        case .require: .require(try NIOSSLContext(configuration: tlsConfiguration))
        }
    }

    /// Masks the password in `scheme://user:password@host…` without otherwise touching the text.
    static func masking(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"),
            let colon = authority[..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<authority.index(after: colon)]) + "***" + String(text[at...])
    }
}
