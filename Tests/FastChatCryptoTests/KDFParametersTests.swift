import XCTest
import FastChatCrypto

final class KDFParametersTests: XCTestCase {
    func testPresetsAreValidAndMatchTheSpecification() throws {
        XCTAssertEqual(KDFParameters.strong, KDFParameters(log2N: 15, r: 8, p: 1))
        XCTAssertEqual(KDFParameters.fast, KDFParameters(log2N: 10, r: 8, p: 1))
        XCTAssertEqual(AuthKeyHash.defaultParameters, KDFParameters(log2N: 14, r: 8, p: 1))
        try KDFParameters.strong.validate()
        try KDFParameters.fast.validate()
        try AuthKeyHash.defaultParameters.validate()
    }

    func testBoundaryValuesAreAccepted() throws {
        try KDFParameters(log2N: 10, r: 1, p: 1).validate()
        try KDFParameters(log2N: 20, r: 8, p: 4).validate()
        try KDFParameters(log2N: 15, r: 16, p: 4).validate()
    }

    func testOutOfRangeValuesAreRefused() {
        let absurd = [
            KDFParameters(log2N: 9, r: 8, p: 1),
            KDFParameters(log2N: 21, r: 8, p: 1),
            KDFParameters(log2N: 0, r: 8, p: 1),
            KDFParameters(log2N: -3, r: 8, p: 1),
            KDFParameters(log2N: 64, r: 8, p: 1),
            KDFParameters(log2N: 14, r: 0, p: 1),
            KDFParameters(log2N: 14, r: 17, p: 1),
            KDFParameters(log2N: 14, r: 8, p: 0),
            KDFParameters(log2N: 14, r: 8, p: 5),
            // scrypt needs N < 2^(16·r).
            KDFParameters(log2N: 16, r: 1, p: 1),
            // 2 GiB of memory.
            KDFParameters(log2N: 20, r: 16, p: 1),
        ]
        for parameters in absurd {
            XCTAssertThrowsError(try parameters.validate(), "\(parameters)") { error in
                guard case .invalidParameters(let reason)? = error as? CryptoError else {
                    return XCTFail("expected invalidParameters for \(parameters), got \(error)")
                }
                XCTAssertFalse(reason.isEmpty)
            }
        }
    }

    func testDerivationRefusesInvalidParameters() {
        XCTAssertThrowsError(
            try AccountSecrets.derive(password: "pw", username: "alice", parameters: .init(log2N: 30, r: 8, p: 1))
        ) { error in
            guard case .invalidParameters? = error as? CryptoError else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try AuthKeyHash.make(authKey: Data(count: 32), parameters: .init(log2N: 4, r: 8, p: 1)))
    }

    func testCodableRoundTrip() throws {
        let data = try JSONEncoder().encode(KDFParameters.strong)
        XCTAssertEqual(try JSONDecoder().decode(KDFParameters.self, from: data), .strong)
    }
}
