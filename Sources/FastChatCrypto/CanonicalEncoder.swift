import Foundation

/// Builds byte strings that are unambiguous: every variable-length field is prefixed with its
/// 32-bit big-endian length, so ("ab", "c") and ("a", "bc") can never encode to the same bytes.
struct CanonicalEncoder {
    private(set) var bytes = Data()

    mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ field: Data) {
        append(UInt32(field.count))
        bytes.append(field)
    }

    mutating func append(_ string: String) {
        append(Data(string.utf8))
    }

    mutating func append(_ uuid: UUID) {
        withUnsafeBytes(of: uuid.uuid) { bytes.append(contentsOf: $0) }
    }
}
