import Foundation
import XCTest
import FastChatCrypto

final class IdentityTests: XCTestCase {
    // RFC 8032 §7.1 test 1 (Ed25519) and RFC 7748 §6.1 Alice (X25519).
    static let signingSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    static let signingPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    static let agreementPrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
    static let agreementPublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"

    func testRawRepresentationRoundTrip() throws {
        let identity = Identity.generate()
        XCTAssertEqual(identity.rawRepresentation.count, 64)
        let restored = try Identity(rawRepresentation: identity.rawRepresentation)
        XCTAssertEqual(restored.rawRepresentation, identity.rawRepresentation)
        XCTAssertEqual(restored.publicIdentity, identity.publicIdentity)
    }

    func testRawLayoutIsSigningThenAgreement() throws {
        let identity = try Identity(rawRepresentation: Data(hex: Self.signingSeed + Self.agreementPrivate))
        XCTAssertEqual(identity.publicIdentity.signingKey.hex, Self.signingPublic)
        XCTAssertEqual(identity.publicIdentity.agreementKey.hex, Self.agreementPublic)
    }

    func testRawRepresentationOfWrongLengthIsRejected() {
        for count in [0, 32, 63, 65, 128] {
            XCTAssertThrowsCryptoError(try Identity(rawRepresentation: Data(count: count)), .invalidKey)
        }
    }

    func testGeneratedIdentitiesDiffer() {
        XCTAssertNotEqual(Identity.generate().rawRepresentation, Identity.generate().rawRepresentation)
    }

    func testSignatureIsEd25519OverTheGivenBytes() throws {
        // RFC 8032 §7.1 test 1: empty message.
        let identity = try Identity(rawRepresentation: Data(hex: Self.signingSeed + Self.agreementPrivate))
        XCTAssertEqual(
            try identity.sign(Data()).hex,
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    }

    func testBackupRoundTrip() throws {
        let identity = Identity.generate()
        let vault = try AccountSecrets.derive(password: "pw", username: "alice", parameters: .fast).vaultKey
        let backup = try identity.sealedBackup(vaultKey: vault)
        XCTAssertEqual(backup.first, 1)
        XCTAssertEqual(backup.count, 1 + 12 + 64 + 16)
        XCTAssertNil(backup.range(of: identity.rawRepresentation), "private keys must not appear in the clear")
        let restored = try Identity(sealedBackup: backup, vaultKey: vault)
        XCTAssertEqual(restored.rawRepresentation, identity.rawRepresentation)
    }

    func testBackupUsesAFreshNonceEachTime() throws {
        let identity = Identity.generate()
        let vault = try AccountSecrets.derive(password: "pw", username: "alice", parameters: .fast).vaultKey
        XCTAssertNotEqual(try identity.sealedBackup(vaultKey: vault), try identity.sealedBackup(vaultKey: vault))
    }

    func testBackupWithWrongVaultKeyFails() throws {
        let backup = try Identity.generate().sealedBackup(
            vaultKey: AccountSecrets.derive(password: "pw", username: "alice", parameters: .fast).vaultKey)
        let wrongVault = try AccountSecrets.derive(password: "pw2", username: "alice", parameters: .fast).vaultKey
        XCTAssertThrowsCryptoError(try Identity(sealedBackup: backup, vaultKey: wrongVault), .cannotDecrypt)
    }

    func testTamperedBackupFails() throws {
        let vault = try AccountSecrets.derive(password: "pw", username: "alice", parameters: .fast).vaultKey
        let backup = try Identity.generate().sealedBackup(vaultKey: vault)
        // Nonce, ciphertext and tag regions.
        for offset in [1, 13, 40, backup.count - 1] {
            XCTAssertThrowsCryptoError(
                try Identity(sealedBackup: backup.flippingBit(at: offset), vaultKey: vault), .cannotDecrypt)
        }
        XCTAssertThrowsCryptoError(try Identity(sealedBackup: backup.dropLast(), vaultKey: vault), .cannotDecrypt)
        XCTAssertThrowsCryptoError(try Identity(sealedBackup: Data(), vaultKey: vault), .cannotDecrypt)
        XCTAssertThrowsCryptoError(try Identity(sealedBackup: Data([1]), vaultKey: vault), .cannotDecrypt)
    }

    func testUnknownBackupVersionIsReported() throws {
        let vault = try AccountSecrets.derive(password: "pw", username: "alice", parameters: .fast).vaultKey
        var backup = try Identity.generate().sealedBackup(vaultKey: vault)
        backup[backup.startIndex] = 2
        XCTAssertThrowsCryptoError(try Identity(sealedBackup: backup, vaultKey: vault), .unsupportedVersion(2))
    }
}
