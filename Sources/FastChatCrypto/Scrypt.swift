import Foundation
import Crypto
import _CryptoExtras

/// The one place that calls scrypt, so parameter validation and error mapping cannot be skipped.
enum Scrypt {
    static func derive(password: some DataProtocol, salt: some DataProtocol,
                       parameters: KDFParameters, outputByteCount: Int) throws -> SymmetricKey {
        try parameters.validate()
        do {
            return try KDF.Scrypt.deriveKey(
                from: password, salt: salt, outputByteCount: outputByteCount,
                rounds: parameters.rounds, blockSize: parameters.r, parallelism: parameters.p)
        } catch {
            throw CryptoError.invalidParameters("scrypt refused the parameters (\(error))")
        }
    }
}

extension SymmetricKey {
    var data: Data { withUnsafeBytes { Data($0) } }
}
