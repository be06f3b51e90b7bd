import Foundation

enum ConstantTime {
    /// Compares every byte regardless of where the first difference is, so timing reveals nothing
    /// about how much of a secret matched. Lengths are public, so a length mismatch may return early.
    static func equals(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) {
            difference |= a ^ b
        }
        return difference == 0
    }
}
