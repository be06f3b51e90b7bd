import Foundation
import XCTest
import Crypto
import FastChatCrypto

final class AccountSecretsTests: XCTestCase {
    private func derive(_ password: String, _ username: String) throws -> AccountSecrets {
        try AccountSecrets.derive(password: password, username: username, parameters: .fast)
    }

    private func bytes(_ key: SymmetricKey) -> Data { key.withUnsafeBytes { Data($0) } }

    func testDerivationIsDeterministic() throws {
        let first = try derive("correct horse", "alice")
        let second = try derive("correct horse", "alice")
        XCTAssertEqual(first.authKey, second.authKey)
        XCTAssertEqual(first.vaultKey, second.vaultKey)
        XCTAssertEqual(first.authKey.count, 32)
        XCTAssertEqual(first.vaultKey.bitCount, 256)
    }

    func testDiffersPerUsernameIncludingCase() throws {
        let alice = try derive("correct horse", "alice")
        let bob = try derive("correct horse", "bob")
        let capitalAlice = try derive("correct horse", "Alice")
        XCTAssertNotEqual(alice.authKey, bob.authKey)
        XCTAssertNotEqual(alice.vaultKey, bob.vaultKey)
        XCTAssertNotEqual(alice.authKey, capitalAlice.authKey)
    }

    func testDiffersPerPassword() throws {
        let first = try derive("correct horse", "alice")
        let second = try derive("correct horsf", "alice")
        XCTAssertNotEqual(first.authKey, second.authKey)
        XCTAssertNotEqual(first.vaultKey, second.vaultKey)
    }

    func testDiffersPerParameters() throws {
        let fast = try derive("correct horse", "alice")
        let other = try AccountSecrets.derive(
            password: "correct horse", username: "alice", parameters: .init(log2N: 11, r: 8, p: 1))
        XCTAssertNotEqual(fast.authKey, other.authKey)
    }

    func testAuthAndVaultKeysDiffer() throws {
        let secrets = try derive("correct horse", "alice")
        XCTAssertNotEqual(secrets.authKey, bytes(secrets.vaultKey))
    }

    func testPasswordIsNormalisedToNFC() throws {
        let composed = try derive("caf\u{E9}", "alice")
        let decomposed = try derive("cafe\u{301}", "alice")
        XCTAssertEqual(composed.authKey, decomposed.authKey)
        XCTAssertEqual(composed.vaultKey, decomposed.vaultKey)
    }

    /// Pins the derivation to values computed independently (Python hashlib.scrypt + HMAC-SHA256 HKDF-Expand),
    /// so an accidental change of salt, label or normalisation cannot lock existing users out.
    func testMatchesIndependentlyComputedVector() throws {
        let secrets = try derive("cafe\u{301} pässwörd", "Alice")
        XCTAssertEqual(secrets.authKey.hex, "be74d4c3b482ea51d9c2060d69ccac7e0030bc3784bf531a5d327721e18365e5")
        XCTAssertEqual(bytes(secrets.vaultKey).hex, "b5f06f10f593027a5fe19f262d24be21d940a38f157b19daf7020c9509e3590d")
    }
}
