import Foundation

extension Date {
    /// Unix milliseconds for a frame. Clamped rather than converted with `Int64(_:)`, which traps: the date may come
    /// from a peer node or the store, and no date may crash the node.
    var wireMillis: Int64 {
        let millis = (timeIntervalSince1970 * 1000).rounded(.towardZero)
        if millis.isNaN { return 0 }
        if millis >= Double(Int64.max) { return .max }
        if millis <= Double(Int64.min) { return .min }
        return Int64(millis)
    }

    /// What a node can have stamped an entry with: years 1 to 9999. Anything else from the wire is forged.
    static let plausibleWireMillis: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999
}
