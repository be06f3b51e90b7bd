import XCTest
import FastChatCrypto

final class CryptoErrorTests: XCTestCase {
    func testEveryCaseHasADistinctSentence() {
        let errors: [CryptoError] = [
            .invalidParameters("log2N must be in 10...20, got 9"), .invalidHash, .invalidKey, .cannotDecrypt,
            .badSignature, .wrongRecipient, .notARecipient, .unsupportedVersion(7),
        ]
        let descriptions = errors.map(\.description)
        XCTAssertEqual(Set(descriptions).count, errors.count)
        for description in descriptions {
            XCTAssertTrue(description.first?.isUppercase ?? false, description)
            XCTAssertTrue(description.hasSuffix("."), description)
        }
        XCTAssertTrue(CryptoError.unsupportedVersion(7).description.contains("7"))
        XCTAssertTrue(CryptoError.invalidParameters("got 9").description.contains("got 9"))
    }
}
