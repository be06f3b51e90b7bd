import Crypto
import FastChatCrypto
import Foundation
import XCTest

final class LoginKeyTests: XCTestCase {
    private func derive(_ password: String, _ username: String) throws -> AccountSecrets {
        try AccountSecrets.derive(password: password, username: username, parameters: .fast)
    }

    private func transcript(
        _ purpose: LoginProof.Purpose = .signIn, subject: String = "alice", actor: String = "",
        key: Data, challenge: Data = Data(repeating: 1, count: 32), binding: Data = Data()
    ) -> Data {
        LoginProof.transcript(
            purpose, subject: subject, actor: actor, loginKey: key, challenge: challenge, channelBinding: binding)
    }

    func testLoginKeyIsDeterministicAndNotTheAuthKey() throws {
        let first = try derive("correct horse", "alice")
        let second = try derive("correct horse", "alice")
        XCTAssertEqual(first.loginKey.publicKey, second.loginKey.publicKey)
        XCTAssertEqual(first.loginKey.publicKey.count, 32)
        XCTAssertNotEqual(first.loginKey.publicKey, first.authKey)
        XCTAssertNotEqual(first.loginKey.publicKey, try derive("correct horse", "bob").loginKey.publicKey)
        XCTAssertNotEqual(first.loginKey.publicKey, try derive("correct horsf", "alice").loginKey.publicKey)
    }

    func testGroupLoginKeyDiffersFromTheAccountOne() throws {
        let group = try GroupPassword.derive(password: "correct horse", group: "alice", parameters: .fast)
        let account = try derive("correct horse", "alice")
        XCTAssertNotEqual(group.loginKey.publicKey, account.loginKey.publicKey)
        XCTAssertNotEqual(group.loginKey.publicKey, group.authKey)
        XCTAssertEqual(group.authKey, try GroupPassword.authKey(password: "correct horse", group: "alice", parameters: .fast))
    }

    func testSignatureVerifiesOnlyForItsExactTranscript() throws {
        let key = try derive("correct horse", "alice").loginKey
        let signed = transcript(key: key.publicKey)
        let signature = try key.sign(signed)
        XCTAssertTrue(LoginKey.verify(signature: signature, of: signed, publicKey: key.publicKey))
        let others = [
            transcript(.signUp, key: key.publicKey),
            transcript(.joinGroup, key: key.publicKey),
            transcript(subject: "alicf", key: key.publicKey),
            transcript(actor: "bob", key: key.publicKey),
            transcript(key: key.publicKey, challenge: Data(repeating: 2, count: 32)),
            transcript(key: key.publicKey, binding: Data(repeating: 9, count: 32)),
            transcript(key: Data(repeating: 3, count: 32)),
        ]
        for other in others {
            XCTAssertFalse(LoginKey.verify(signature: signature, of: other, publicKey: key.publicKey))
        }
        let stranger = try derive("other", "alice").loginKey
        XCTAssertFalse(LoginKey.verify(signature: signature, of: signed, publicKey: stranger.publicKey))
        XCTAssertFalse(LoginKey.verify(signature: signature, of: signed, publicKey: Data(count: 31)))
        XCTAssertFalse(LoginKey.verify(signature: Data(count: 64), of: signed, publicKey: key.publicKey))
    }

    func testTranscriptFieldsCannotBleedIntoEachOther() {
        let key = Data(repeating: 5, count: 32)
        XCTAssertNotEqual(transcript(subject: "ab", actor: "c", key: key), transcript(subject: "a", actor: "bc", key: key))
    }

    func testChallengesAreFreshAndFullLength() {
        let first = LoginProof.makeChallenge()
        XCTAssertEqual(first.count, LoginProof.challengeByteCount)
        XCTAssertNotEqual(first, LoginProof.makeChallenge())
    }

    func testPublicKeyValidation() throws {
        XCTAssertNoThrow(try LoginKey.validate(publicKey: try derive("x", "y").loginKey.publicKey))
        XCTAssertThrowsError(try LoginKey.validate(publicKey: Data(count: 31)))
        XCTAssertThrowsError(try LoginKey.validate(publicKey: Data(count: 33)))
    }
}
