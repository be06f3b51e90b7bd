import Foundation

/// Dates are stored as integer Unix milliseconds, the precision both backends keep exactly.
enum UnixMillis {
    static func from(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(_ millis: Int64) -> Date {
        Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// The current time already truncated to what the store keeps, so values returned from a write
    /// equal the ones read back later.
    static func now() -> (millis: Int64, date: Date) {
        let millis = from(Date())
        return (millis, date(millis))
    }
}
