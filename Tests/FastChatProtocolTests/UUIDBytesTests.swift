import FastChatProtocol
import Foundation
import Testing

/// Message ids travel as 16 raw bytes (`Envelope.message_id`, `Accepted.message_id`, …).
@Suite("UUID bytes")
struct UUIDBytesTests {
    @Test("A UUID turns into its 16 bytes in RFC 4122 order")
    func knownBytes() throws {
        let id = try #require(UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF"))
        #expect(id.bytes == Data([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                  0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF]))
        #expect(UUID(bytes: id.bytes) == id)
    }

    @Test("Random UUIDs survive the round trip")
    func roundTrip() {
        for _ in 0..<1000 {
            let id = UUID()
            #expect(id.bytes.count == 16)
            #expect(UUID(bytes: id.bytes) == id)
        }
    }

    @Test("Bytes survive the round trip the other way")
    func bytesRoundTrip() throws {
        let bytes = Data((0..<16).map { UInt8($0 * 17) })
        let id = try #require(UUID(bytes: bytes))
        #expect(id.bytes == bytes)
        #expect(id.uuidString == "00112233-4455-6677-8899-AABBCCDDEEFF")
    }

    @Test("Anything but 16 bytes is not a UUID", arguments: [0, 1, 15, 17, 32])
    func wrongLength(count: Int) {
        #expect(UUID(bytes: Data(repeating: 0xAB, count: count)) == nil)
    }

    @Test("A slice of a larger buffer (non-zero start index) works")
    func slice() throws {
        let id = UUID()
        let padded = Data([0xFF, 0xFE, 0xFD]) + id.bytes + Data([0x01])
        let slice = padded[3..<19]
        #expect(slice.startIndex == 3)
        #expect(UUID(bytes: slice) == id)
    }
}
