import Foundation

/// A rectangle of the drawing that one chart's data fills (axes and labels go around it).
struct PlotArea {
    var x: Double
    var y: Double
    var width: Double
    var height: Double

    var bottom: Double { y + height }
    var right: Double { x + width }
}

/// Maps latencies onto a log₁₀ axis whose ticks are whole decades (plus 2 and 5 when there are few decades).
struct LogScale {
    /// Latencies below this are drawn at it: zero has no logarithm, and sub-10-µs differences do not matter here.
    static let floor = 0.01

    let lowDecade: Int
    let highDecade: Int

    init(values: [Double]) {
        let finite = values.filter { $0.isFinite }.map { Swift.max($0, Self.floor) }
        let low = Int((log10(finite.min() ?? Self.floor)).rounded(.down))
        var high = Int((log10(finite.max() ?? 1)).rounded(.up))
        if high <= low { high = low + 1 }
        lowDecade = low
        highDecade = Swift.min(high, low + 12)
    }

    var minimum: Double { pow(10, Double(lowDecade)) }

    /// The y coordinate of `value` in `area`, clamped to it.
    func position(_ value: Double, in area: PlotArea) -> Double {
        let clamped = value.isFinite ? Swift.max(value, Self.floor) : Self.floor
        let fraction = (log10(clamped) - Double(lowDecade)) / Double(highDecade - lowDecade)
        return area.bottom - Swift.min(1, Swift.max(0, fraction)) * area.height
    }

    var ticks: [Double] {
        let multipliers: [Double] = highDecade - lowDecade <= 2 ? [1, 2, 5] : [1]
        var result: [Double] = []
        for decade in lowDecade ... highDecade {
            for multiplier in multipliers {
                let value = multiplier * pow(10, Double(decade))
                if value <= pow(10, Double(highDecade)) * 1.0001 { result.append(value) }
            }
        }
        return result
    }
}

/// A linear axis from zero to a round maximum, with ticks at 1, 2 or 5 times a power of ten.
struct LinearScale {
    let maximum: Double
    let step: Double

    init(maximumValue: Double, targetTicks: Int = 5) {
        let top = maximumValue.isFinite && maximumValue > 0 ? maximumValue : 1
        let raw = top / Double(targetTicks)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        self.step = step
        maximum = (top / step).rounded(.up) * step
    }

    func position(_ value: Double, in area: PlotArea, horizontal: Bool = false) -> Double {
        let fraction = value.isFinite ? Swift.min(1, Swift.max(0, value / maximum)) : 0
        return horizontal ? area.x + fraction * area.width : area.bottom - fraction * area.height
    }

    var ticks: [Double] {
        let count = Int((maximum / step).rounded())
        return (0 ... Swift.max(1, count)).map { Double($0) * step }
    }
}

enum TickLabel {
    /// Compact labels: 0.01, 0.5, 20, 1.5k, 12k, 3.5M.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        switch value.magnitude {
        case 1_000_000...: return trimmed(value / 1_000_000) + "M"
        case 1_000...: return trimmed(value / 1_000) + "k"
        case 1...: return trimmed(value)
        default: return String(format: "%g", value)
        }
    }

    private static func trimmed(_ value: Double) -> String {
        var text = String(format: "%.1f", value)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}
