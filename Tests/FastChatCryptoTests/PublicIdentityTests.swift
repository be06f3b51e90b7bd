import Foundation
import XCTest
import FastChatCrypto

final class PublicIdentityTests: XCTestCase {
    func testFingerprintFormat() {
        let fingerprint = Identity.generate().publicIdentity.fingerprint
        let groups = fingerprint.split(separator: " ", omittingEmptySubsequences: false)
        XCTAssertEqual(groups.count, 10)
        XCTAssertEqual(fingerprint.count, 10 * 4 + 9)
        for group in groups {
            XCTAssertEqual(group.count, 4)
            XCTAssertTrue(group.allSatisfy { "0123456789abcdef".contains($0) }, "\(group)")
        }
    }

    func testFingerprintIsStable() throws {
        let identity = Identity.generate()
        let restored = try Identity(rawRepresentation: identity.rawRepresentation)
        XCTAssertEqual(identity.publicIdentity.fingerprint, identity.publicIdentity.fingerprint)
        XCTAssertEqual(restored.publicIdentity.fingerprint, identity.publicIdentity.fingerprint)
    }

    /// Computed independently in Python: SHA-256(lp(label) || lp(signing) || lp(agreement)), first 20 bytes.
    func testFingerprintMatchesIndependentlyComputedVector() throws {
        let publicIdentity = try PublicIdentity(
            signingKey: Data(hex: IdentityTests.signingPublic), agreementKey: Data(hex: IdentityTests.agreementPublic))
        XCTAssertEqual(publicIdentity.fingerprint, "3ce0 cd5a 8a62 187f 2814 5986 9384 b35c 5661 17d5")
    }

    func testFingerprintDiffersPerIdentityAndPerKey() throws {
        let first = Identity.generate().publicIdentity
        let second = Identity.generate().publicIdentity
        XCTAssertNotEqual(first.fingerprint, second.fingerprint)
        let mixed = try PublicIdentity(signingKey: first.signingKey, agreementKey: second.agreementKey)
        XCTAssertNotEqual(mixed.fingerprint, first.fingerprint)
        XCTAssertNotEqual(mixed.fingerprint, second.fingerprint)
    }

    func testMalformedKeysAreRejected() {
        let good = Identity.generate().publicIdentity
        XCTAssertThrowsCryptoError(try PublicIdentity(signingKey: Data(count: 31), agreementKey: good.agreementKey), .invalidKey)
        XCTAssertThrowsCryptoError(try PublicIdentity(signingKey: good.signingKey, agreementKey: Data()), .invalidKey)
        XCTAssertThrowsCryptoError(
            try PublicIdentity(signingKey: good.signingKey + Data([0]), agreementKey: good.agreementKey), .invalidKey)
    }

    func testCodableRoundTripAndValidation() throws {
        let publicIdentity = Identity.generate().publicIdentity
        let json = try JSONEncoder().encode(publicIdentity)
        XCTAssertEqual(try JSONDecoder().decode(PublicIdentity.self, from: json), publicIdentity)

        let bad = #"{"signingKey":"AAAA","agreementKey":"\#(publicIdentity.agreementKey.base64EncodedString())"}"#
        XCTAssertThrowsCryptoError(try JSONDecoder().decode(PublicIdentity.self, from: Data(bad.utf8)), .invalidKey)
    }
}
