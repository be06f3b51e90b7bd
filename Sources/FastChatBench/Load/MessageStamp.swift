import Foundation

/// What the load generator writes into each message id (16 bytes, unique per sender as the protocol requires):
/// who sent it, its place in that sender's sequence, and when it was *meant* to be sent. The recipient reads the
/// stamp back, so latency and loss are measured without a lookup table shared between senders and recipients.
struct MessageStamp: Equatable, Sendable {
    var sender: UInt32
    var sequence: UInt32
    /// `NIODeadline.uptimeNanoseconds` of the scheduled send time: one clock, as senders and recipients share the
    /// bench process.
    var intendedNanos: UInt64

    var bytes: Data {
        var data = Data(capacity: 16)
        withUnsafeBytes(of: sender.bigEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: sequence.bigEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: intendedNanos.bigEndian) { data.append(contentsOf: $0) }
        return data
    }

    init(sender: UInt32, sequence: UInt32, intendedNanos: UInt64) {
        self.sender = sender
        self.sequence = sequence
        self.intendedNanos = intendedNanos
    }

    init?(bytes: Data) {
        guard bytes.count == 16 else { return nil }
        func read<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
            var value: T = 0
            for byte in bytes[(bytes.startIndex + offset)..<(bytes.startIndex + offset + MemoryLayout<T>.size)] {
                value = value << 8 | T(byte)
            }
            return value
        }
        sender = read(0, as: UInt32.self)
        sequence = read(4, as: UInt32.self)
        intendedNanos = read(8, as: UInt64.self)
    }
}
