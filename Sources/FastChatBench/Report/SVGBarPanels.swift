/// The bar charts: latency percentiles per strategy (log scale) and delivered throughput per strategy.
enum SVGBarPanels {
    private static let percentiles: [(label: String, color: String, value: @Sendable (LatencySummary) -> Double)] = [
        ("p50", "#59a14f", { $0.p50 }),
        ("p90", "#edc948", { $0.p90 }),
        ("p99", "#f28e2b", { $0.p99 }),
        ("p99.9", "#e15759", { $0.p999 }),
    ]

    static func latency(_ results: [BenchResult], labels: [String], area: PlotArea, on canvas: inout SVGCanvas) {
        let values = results.flatMap { result in percentiles.map { $0.value(result.latency) } }
        let scale = LogScale(values: values)
        SVGPlot.frame(title: "Latency by strategy", yAxis: "latency (ms, log scale)", area: area, on: &canvas)
        for tick in scale.ticks {
            SVGPlot.yTick(TickLabel.format(tick), y: scale.position(tick, in: area), area: area, on: &canvas)
        }

        let slot = area.width / Double(results.count)
        let barWidth = min(36, slot * 0.8 / Double(percentiles.count))
        let groupWidth = barWidth * Double(percentiles.count)
        for (index, result) in results.enumerated() {
            let groupX = area.x + slot * (Double(index) + 0.5) - groupWidth / 2
            for (barIndex, percentile) in percentiles.enumerated() {
                let value = percentile.value(result.latency)
                let top = scale.position(value, in: area)
                canvas.rect(
                    x: groupX + Double(barIndex) * barWidth, y: top, width: barWidth - 1, height: area.bottom - top,
                    fill: percentile.color,
                    tooltip: "\(labels[index]) \(percentile.label): \(Format.milliseconds(value)) ms")
            }
        }
        SVGPlot.categoryLabels(labels, area: area, on: &canvas)
        SVGPlot.legend(percentiles.map { ($0.label, $0.color) }, area: area, on: &canvas)
    }

    static func throughput(_ results: [BenchResult], labels: [String], area: PlotArea, on canvas: inout SVGCanvas) {
        // Headroom above the tallest bar for its value label.
        let tallest = results.map(\.deliveredPerSecond).filter(\.isFinite).max() ?? 0
        let scale = LinearScale(maximumValue: tallest * 1.08)
        SVGPlot.frame(title: "Delivered messages per second", yAxis: "messages/s", area: area, on: &canvas)
        for tick in scale.ticks {
            SVGPlot.yTick(TickLabel.format(tick), y: scale.position(tick, in: area), area: area, on: &canvas)
        }

        let slot = area.width / Double(results.count)
        let barWidth = min(80, slot * 0.6)
        for (index, result) in results.enumerated() {
            let center = area.x + slot * (Double(index) + 0.5)
            let top = scale.position(result.deliveredPerSecond, in: area)
            let text = Format.rate(result.deliveredPerSecond)
            canvas.rect(
                x: center - barWidth / 2, y: top, width: barWidth, height: area.bottom - top,
                fill: SVGPlot.color(index), tooltip: "\(labels[index]): \(text) msg/s")
            canvas.text(text, x: center, y: top - 5, size: 11, anchor: .middle)
        }
        SVGPlot.categoryLabels(labels, area: area, on: &canvas)
    }
}
