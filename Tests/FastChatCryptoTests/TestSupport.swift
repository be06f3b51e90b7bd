import Foundation
import XCTest
import FastChatCrypto

func XCTAssertThrowsCryptoError<T>(
    _ expression: @autoclosure () throws -> T, _ expected: CryptoError,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        XCTAssertEqual(error as? CryptoError, expected, file: file, line: line)
    }
}

extension Data {
    init(hex: String) {
        var bytes = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes)
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }

    /// A copy with one bit of the byte at `offset` (counted from the start) inverted.
    func flippingBit(at offset: Int) -> Data {
        var copy = Data(self)
        copy[copy.startIndex + offset] ^= 0x01
        return copy
    }
}
