import FastChatCrypto
import FastChatProtocol
import Foundation

/// A peer's identity key is not the one pinned for them, and has not been trusted: nothing was sealed or sent.
/// A key swapped by a malicious server (or anyone on the path) would otherwise read the message.
public struct PeerKeyChanged: Error, Sendable, Hashable {
    public var peer: String
    public var pinnedFingerprint: String
    public var presentedFingerprint: String
}

/// `trust --fingerprint` named a key the server does not present for the peer: nothing was trusted.
public struct FingerprintMismatch: Error, Sendable, Hashable {
    public var peer: String
    public var expected: String
    public var presented: String
}

extension ChatClient {
    enum PinStatus { case matches, firstUse, changed }

    /// `peer`'s fingerprint, pinning the key on first use; a changed key is reported, never re-pinned.
    public func whois(_ peer: String) async throws -> PeerKeyStatus {
        _ = try signedIn()
        try Names.validate(peer)
        let (key, status) = try await key(of: peer)
        return PeerKeyStatus(
            username: peer, fingerprint: key.fingerprint, wasPinned: status != .firstUse, changed: status == .changed)
    }

    /// Accepts the key the server now presents for `peer` as theirs (only if it is `fingerprint`, when given) and
    /// pins it. Returns the fingerprint pinned before (nil if none) and the one pinned now.
    @discardableResult
    public func trust(_ peer: String, fingerprint: String? = nil) async throws -> (old: String?, new: String) {
        var account = try signedIn()
        try Names.validate(peer)
        // Fresh from the server: the key to trust is the one it presents now, not one cached earlier.
        peerKeys[peer] = nil
        let key = try await serverKey(of: peer)
        if let fingerprint, Self.normalized(fingerprint) != Self.normalized(key.fingerprint) {
            throw FingerprintMismatch(peer: peer, expected: fingerprint, presented: key.fingerprint)
        }
        let old = account.keystore.pin(for: peer)
        try account.keystore.setPin(key, for: peer)
        self.account = account
        return (old?.fingerprint, key.fingerprint)
    }

    /// The key to seal for `peer`: pinned on first use, refused with `PeerKeyChanged` if it differs from the pin.
    func trustedKey(of peer: String) async throws -> PublicIdentity {
        let (key, status) = try await key(of: peer)
        if status == .changed {
            let pinned = try signedIn().keystore.pin(for: peer)
            throw PeerKeyChanged(
                peer: peer, pinnedFingerprint: pinned?.fingerprint ?? "", presentedFingerprint: key.fingerprint)
        }
        return key
    }

    /// Refuses with `PeerKeyChanged` before anything is uploaded or sealed if any other member of `group` has a
    /// changed key.
    func requireTrustedMembers(of group: String) async throws {
        let me = try signedIn().username
        for member in try await groupInfo(group).members where member.username != me {
            _ = try await trustedKey(of: member.username)
        }
    }

    /// The server's current key for `peer`, checked against the pin (and pinned on first use). A changed key is
    /// announced with `.keyChanged` and left unpinned: only `trust` replaces a pin.
    func key(of peer: String) async throws -> (key: PublicIdentity, status: PinStatus) {
        var account = try signedIn()
        let key = try await serverKey(of: peer)
        switch account.keystore.pin(for: peer) {
        case key:
            return (key, .matches)
        case nil:
            try account.keystore.setPin(key, for: peer)
            self.account = account
            return (key, .firstUse)
        case let old?:
            eventContinuation.yield(.keyChanged(peer: peer, oldFingerprint: old.fingerprint, newFingerprint: key.fingerprint))
            return (key, .changed)
        }
    }

    private func serverKey(of peer: String) async throws -> PublicIdentity {
        if let cached = peerKeys[peer] { return cached }
        var request = Fastchat_V1_GetUser()
        request.username = peer
        guard case .userInfo(let info) = try await self.request(.getUser(request)) else {
            throw ProtocolError(.internal, "The server answered a key lookup with something unexpected.")
        }
        let key = try PublicIdentity(signingKey: info.identity.signingKey, agreementKey: info.identity.agreementKey)
        peerKeys[peer] = key
        return key
    }

    /// A fingerprint as typed: spaces, colons and case do not matter.
    private static func normalized(_ fingerprint: String) -> String {
        String(fingerprint.lowercased().filter(\.isHexDigit))
    }
}
