import Foundation
import X509

/// A cluster's certificate directory: `ca.pem` and `ca.key`, and `NAME.pem` / `NAME.key` for each node and the
/// balancer. Whatever is missing is created on first use and reused afterwards, so a restarted process keeps its
/// identity and clients keep trusting it. Keys are written 0600 in a 0700 directory.
public struct TLSDirectory: Sendable {
    public let url: URL

    public init(path: String) {
        url = URL(fileURLWithPath: path, isDirectory: true)
    }

    /// `tls/` beside an SQLite file.
    public static func beside(sqliteFile path: String) -> TLSDirectory {
        TLSDirectory(path: URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("tls").path)
    }

    public var caCertificateFile: URL { url.appendingPathComponent("ca.pem") }
    var caKeyFile: URL { url.appendingPathComponent("ca.key") }
    public func certificateFile(for name: String) -> URL { url.appendingPathComponent("\(name).pem") }
    public func keyFile(for name: String) -> URL { url.appendingPathComponent("\(name).key") }

    /// Loads the CA, creating it first when `create` is set and there is none. Several processes starting at once
    /// agree on one CA: the key is published with `link`, which only one of them wins.
    public func authority(create: Bool = true) throws -> CertificateAuthority {
        if let existing = try loadAuthority() { return existing }
        guard create else {
            throw TLSSetupError("There is no cluster CA in \(url.path) (run `fastchat cert init --dir \(url.path)`).")
        }
        try makeDirectory()
        let authority = try CertificateAuthority.create()
        let suffix = ".\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
        let keyTemp = URL(fileURLWithPath: caKeyFile.path + suffix)
        let certificateTemp = URL(fileURLWithPath: caCertificateFile.path + suffix)
        defer {
            unlink(keyTemp.path)
            unlink(certificateTemp.path)
        }
        try writePrivate(try authority.privateKeyPEM, to: keyTemp)
        try writePublic(try authority.certificatePEM, to: certificateTemp)
        if link(keyTemp.path, caKeyFile.path) == 0 {
            guard link(certificateTemp.path, caCertificateFile.path) == 0 else {
                throw TLSSetupError("Cannot write \(caCertificateFile.path): \(String(cString: strerror(errno))).")
            }
            return authority
        }
        guard errno == EEXIST else {
            throw TLSSetupError("Cannot write \(caKeyFile.path): \(String(cString: strerror(errno))).")
        }
        // Another process published its key first; its certificate follows within moments.
        for _ in 0..<100 {
            if let existing = try loadAuthority() { return existing }
            usleep(50_000)
        }
        throw TLSSetupError("\(caKeyFile.path) exists but \(caCertificateFile.path) does not.")
    }

    private func loadAuthority() throws -> CertificateAuthority? {
        let manager = FileManager.default
        guard manager.fileExists(atPath: caKeyFile.path), manager.fileExists(atPath: caCertificateFile.path) else {
            return nil
        }
        do {
            return try CertificateAuthority(
                certificatePEM: String(contentsOf: caCertificateFile, encoding: .utf8),
                privateKeyPEM: String(contentsOf: caKeyFile, encoding: .utf8))
        } catch {
            throw TLSSetupError("Cannot read the cluster CA in \(url.path) (\(error)).")
        }
    }

    /// The certificate of `name` for `hosts`: the one on disk when this CA issued it, it covers every host and is
    /// valid for at least another month; otherwise a new one, written over the old.
    public func identity(name: String, hosts: [String], now: Date = Date()) throws -> TLSIdentity {
        let authority = try authority(create: true)
        let certificateFile = certificateFile(for: name)
        let keyFile = keyFile(for: name)
        if let existing = try? TLSIdentity(certificateFile: certificateFile.path, keyFile: keyFile.path, caFile: caCertificateFile.path),
            existing.isUsable(issuedBy: authority.certificate, for: hosts, at: now)
        {
            return existing
        }
        let issued = try issue(name: name, hosts: hosts, by: authority, now: now)
        return try TLSIdentity(issued)
    }

    /// Issues and writes `name`'s certificate, replacing any earlier one (`fastchat cert issue`).
    @discardableResult
    public func issue(name: String, hosts: [String], now: Date = Date()) throws -> IssuedCertificate {
        try issue(name: name, hosts: hosts, by: try authority(create: false), now: now)
    }

    private func issue(name: String, hosts: [String], by authority: CertificateAuthority, now: Date) throws
        -> IssuedCertificate
    {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), name != "ca" else {
            throw TLSSetupError("\"\(name)\" cannot name a certificate file.")
        }
        let issued = try authority.issue(name: name, hosts: hosts, now: now)
        try writePrivate(issued.privateKeyPEM, to: keyFile(for: name))
        try writePublic(try issued.chainPEM, to: certificateFile(for: name))
        return issued
    }

    private func makeDirectory() throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    private func writePrivate(_ text: String, to file: URL) throws {
        try makeDirectory()
        let data = Data(text.utf8)
        let fd = open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw TLSSetupError("Cannot write \(file.path): \(String(cString: strerror(errno))).") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw TLSSetupError("Cannot write \(file.path).") }
    }

    private func writePublic(_ text: String, to file: URL) throws {
        try makeDirectory()
        try Data(text.utf8).write(to: file, options: .atomic)
    }
}

/// Every address a certificate should name: the one given and, for a loopback or wildcard address, the loopback
/// names a local client may use instead.
public func certificateHosts(for host: String) -> [String] {
    let loopback = ["127.0.0.1", "::1", "localhost"]
    if loopback.contains(host) || host == "0.0.0.0" || host == "::" {
        return Array(Set([host] + loopback).subtracting(["0.0.0.0", "::"])).sorted()
    }
    return [host]
}
