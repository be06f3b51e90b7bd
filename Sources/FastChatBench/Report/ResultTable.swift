import Foundation

/// The plain-text outputs of `fastchat bench`: the result table and the live progress line.
public enum ResultTable {
    private struct Column {
        let title: String
        let leftAligned: Bool
        let value: @Sendable (BenchResult) -> String
    }

    private static let columns: [Column] = [
        Column(title: "strategy", leftAligned: true) { $0.strategy },
        Column(title: "servers", leftAligned: false) { String($0.servers) },
        Column(title: "clients", leftAligned: false) { String($0.clients) },
        Column(title: "offered/s", leftAligned: false) { Format.rate($0.offeredPerSecond) },
        Column(title: "delivered/s", leftAligned: false) { Format.rate($0.deliveredPerSecond) },
        Column(title: "p50 ms", leftAligned: false) { Format.milliseconds($0.latency.p50) },
        Column(title: "p90 ms", leftAligned: false) { Format.milliseconds($0.latency.p90) },
        Column(title: "p99 ms", leftAligned: false) { Format.milliseconds($0.latency.p99) },
        Column(title: "p99.9 ms", leftAligned: false) { Format.milliseconds($0.latency.p999) },
        Column(title: "max ms", leftAligned: false) { Format.milliseconds($0.latency.max) },
        Column(title: "lost", leftAligned: false) { String($0.lost) },
        Column(title: "dup", leftAligned: false) { String($0.duplicates) },
        Column(title: "reord", leftAligned: false) { String($0.reordered) },
        Column(title: "µs CPU/msg", leftAligned: false) { Format.decimal($0.serverCPUMicrosecondsPerMessage, 1) },
        Column(title: "RSS MB", leftAligned: false) { Format.decimal($0.totalServerRSSMegabytes, 1) },
        Column(title: "peak RSS MB", leftAligned: false) { $0.peakRSSMegabytes.map { Format.decimal($0, 1) } ?? "-" },
    ]

    /// One row per run, columns aligned; ends with a newline.
    public static func render(_ results: [BenchResult]) -> String {
        let header = columns.map(\.title)
        let rows = results.map { result in columns.map { $0.value(result) } }
        let widths = columns.indices.map { index in
            ([header[index]] + rows.map { $0[index] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(columns, zip(cells, widths)).map { column, cellAndWidth in
                let (cell, width) = cellAndWidth
                let padding = String(repeating: " ", count: max(0, width - cell.count))
                return column.leftAligned ? cell + padding : padding + cell
            }
            .joined(separator: "  ")
            .trimmingTrailingSpaces()
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// A line per run that had client errors, with their causes; empty when none had any.
    public static func clientErrors(_ results: [BenchResult]) -> String {
        results.compactMap { result -> String? in
            guard let total = result.clientErrors, total > 0 else { return nil }
            return "\(result.strategy): \(total) client errors: \(causes(result.clientErrorsByCause ?? [:]))\n"
        }
        .joined()
    }

    /// Counts by cause, most frequent first (ties by name): `refused_unavailable 12, connection_lost 1`.
    public static func causes(_ counts: [String: UInt64]) -> String {
        guard !counts.isEmpty else { return "no cause recorded" }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\($0.key) \($0.value)" }
            .joined(separator: ", ")
    }

    /// The live status line, rewritten in place while a run is going (no newline; the caller adds `\r`).
    public static func progressLine(
        elapsed: Double, total: Double, delivered: UInt64, ratePerSecond: Double, p50ms: Double?
    ) -> String {
        let percent = total > 0 && elapsed.isFinite ? min(100, max(0, elapsed / total * 100)) : 0
        let latency = p50ms.map { Format.milliseconds($0) + " ms" } ?? "-"
        return "[\(Format.decimal(elapsed, 1))/\(Format.decimal(total, 1)) s \(Format.decimal(percent, 0))%]"
            + "  delivered \(delivered)  \(Format.rate(ratePerSecond)) msg/s  p50 \(latency)"
    }
}

/// Number formatting shared by the table and the plot; never prints "nan" or "inf".
enum Format {
    static func decimal(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    /// Whole messages per second: fractions of a message are noise at benchmark rates.
    static func rate(_ value: Double) -> String {
        decimal(value, value != 0 && value.magnitude < 10 ? 1 : 0)
    }

    /// Three significant digits or so, matching the histogram's precision.
    static func milliseconds(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        switch value.magnitude {
        case 0: return "0"
        case ..<1: return decimal(value, 3)
        case ..<10: return decimal(value, 2)
        case ..<100: return decimal(value, 1)
        default: return decimal(value, 0)
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
