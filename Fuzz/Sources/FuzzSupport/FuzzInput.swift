/// Reads a fuzzer's input as a sequence of choices; past its end every read answers zero or empty, so any input
/// is a complete program.
public struct FuzzInput {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ start: UnsafeRawPointer, _ count: Int) {
        bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var isEmpty: Bool { offset >= bytes.count }

    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// Little-endian, `width` bytes (at most 8).
    public mutating func integer(width: Int = 8) -> UInt64 {
        var value: UInt64 = 0
        for shift in 0..<min(width, 8) {
            value |= UInt64(byte()) << (8 * UInt64(shift))
        }
        return value
    }

    /// An integer biased towards the edges (0, 1, the type limits) where conversions trap.
    public mutating func interesting() -> UInt64 {
        switch byte() % 8 {
        case 0: return 0
        case 1: return 1
        case 2: return UInt64.max
        case 3: return UInt64(Int64.max)
        case 4: return UInt64(Int64.max) + 1
        case 5: return UInt64(UInt32.max)
        case 6: return integer(width: 2)
        default: return integer()
        }
    }

    /// A length-prefixed run of bytes (length from one byte, so at most 255).
    public mutating func data(max: Int = 255) -> [UInt8] {
        let length = min(Int(byte()), max, bytes.count - min(offset, bytes.count))
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }

    public mutating func string(max: Int = 255) -> String {
        String(decoding: data(max: max), as: UTF8.self)
    }

    /// One of `choices`, or nil for an empty list.
    public mutating func pick<T>(_ choices: [T]) -> T? {
        choices.isEmpty ? nil : choices[Int(byte()) % choices.count]
    }

    public mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return offset < bytes.count ? Array(bytes[offset...]) : []
    }
}
