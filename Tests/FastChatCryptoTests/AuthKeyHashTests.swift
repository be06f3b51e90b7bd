import Foundation
import XCTest
import FastChatCrypto

final class AuthKeyHashTests: XCTestCase {
    private let authKey = Data((0..<32).map { UInt8($0) })

    func testRoundTripVerifies() throws {
        let hash = try AuthKeyHash.make(authKey: authKey, parameters: .fast)
        XCTAssertTrue(hash.verify(authKey: authKey))
        XCTAssertEqual(hash.parameters, .fast)
    }

    func testWrongKeyFails() throws {
        let hash = try AuthKeyHash.make(authKey: authKey, parameters: .fast)
        XCTAssertFalse(hash.verify(authKey: authKey.flippingBit(at: 31)))
        XCTAssertFalse(hash.verify(authKey: Data(count: 32)))
        XCTAssertFalse(hash.verify(authKey: Data()))
        // HMAC would zero-pad this to the real key; the length check must refuse it.
        XCTAssertFalse(hash.verify(authKey: authKey + Data([0])))
        XCTAssertFalse(hash.verify(authKey: authKey.prefix(31)))
    }

    func testOnlyThirtyTwoByteKeysAreHashed() {
        XCTAssertThrowsCryptoError(try AuthKeyHash.make(authKey: Data(count: 31), parameters: .fast), .invalidKey)
        XCTAssertThrowsCryptoError(try AuthKeyHash.make(authKey: Data(), parameters: .fast), .invalidKey)
    }

    func testServerDefaultsWorkWithDerivedAuthKey() throws {
        let secrets = try AccountSecrets.derive(password: "pw", username: "alice", parameters: .fast)
        let hash = try AuthKeyHash.make(authKey: secrets.authKey)
        XCTAssertTrue(hash.encoded.hasPrefix("scrypt$14$8$1$"))
        XCTAssertTrue(hash.verify(authKey: secrets.authKey))
    }

    func testSameKeyHashesDifferentlyBecauseOfSalt() throws {
        let first = try AuthKeyHash.make(authKey: authKey, parameters: .fast)
        let second = try AuthKeyHash.make(authKey: authKey, parameters: .fast)
        XCTAssertNotEqual(first.encoded, second.encoded)
        XCTAssertNotEqual(first, second)
        XCTAssertTrue(second.verify(authKey: authKey))
    }

    func testEncodedStringParsesBackAndStillVerifies() throws {
        let hash = try AuthKeyHash.make(authKey: authKey, parameters: .fast)
        let parsed = try AuthKeyHash(encoded: hash.encoded)
        XCTAssertEqual(parsed, hash)
        XCTAssertEqual(parsed.encoded, hash.encoded)
        XCTAssertTrue(parsed.verify(authKey: authKey))
        XCTAssertFalse(parsed.verify(authKey: Data(count: 32)))
    }

    func testEncodedFormatIsSelfDescribing() throws {
        let hash = try AuthKeyHash.make(authKey: authKey, parameters: .fast)
        let fields = hash.encoded.split(separator: "$").map(String.init)
        XCTAssertEqual(Array(fields.prefix(4)), ["scrypt", "10", "8", "1"])
        XCTAssertEqual(Data(base64Encoded: fields[4])?.count, 16)
        XCTAssertEqual(Data(base64Encoded: fields[5])?.count, 32)
    }

    func testParametersTravelWithTheHash() throws {
        let other = KDFParameters(log2N: 11, r: 4, p: 2)
        let hash = try AuthKeyHash.make(authKey: authKey, parameters: other)
        let parsed = try AuthKeyHash(encoded: hash.encoded)
        XCTAssertEqual(parsed.parameters, other)
        XCTAssertTrue(parsed.verify(authKey: authKey))
    }

    func testTamperedHashDoesNotVerify() throws {
        let hash = try AuthKeyHash.make(authKey: authKey, parameters: .fast)
        var fields = hash.encoded.split(separator: "$").map(String.init)
        fields[5] = Data(base64Encoded: fields[5])!.flippingBit(at: 0).base64EncodedString()
        let tampered = try AuthKeyHash(encoded: fields.joined(separator: "$"))
        XCTAssertFalse(tampered.verify(authKey: authKey))
    }

    func testJunkIsRejected() throws {
        let salt = Data(count: 16).base64EncodedString()
        let digest = Data(count: 32).base64EncodedString()
        XCTAssertNoThrow(try AuthKeyHash(encoded: "scrypt$10$8$1$\(salt)$\(digest)"))
        let junk = [
            "",
            "scrypt",
            "hunter2",
            "$$$$$",
            "bcrypt$10$8$1$\(salt)$\(digest)",
            "scrypt$10$8$1$\(salt)",
            "scrypt$10$8$1$\(salt)$\(digest)$extra",
            "scrypt$ten$8$1$\(salt)$\(digest)",
            "scrypt$10$8$1$not base64!$\(digest)",
            "scrypt$10$8$1$\(salt)$not base64!",
            "scrypt$10$8$1$$\(digest)",
            "scrypt$10$8$1$\(Data(count: 4).base64EncodedString())$\(digest)",
            "scrypt$10$8$1$\(salt)$\(Data(count: 4).base64EncodedString())",
            "scrypt$40$8$1$\(salt)$\(digest)",
            "scrypt$10$0$1$\(salt)$\(digest)",
            "scrypt$10$8$99$\(salt)$\(digest)",
        ]
        for string in junk {
            XCTAssertThrowsCryptoError(try AuthKeyHash(encoded: string), .invalidHash)
        }
    }
}
