/// The `--plot FILE.svg` output: a self-contained SVG (elements and inline attributes only, no scripts or styles)
/// with latency percentiles and throughput per strategy, and latency against offered rate when a saturation
/// search ran.
public enum SVGPlot {
    static let width = 960.0
    static let panelHeight = 250.0
    /// Room around each panel's data area: axis labels on the left, the legend on the right, strategy names below.
    static let marginLeft = 80.0
    static let marginRight = 170.0
    static let panelTop = 50.0
    static let panelBottom = 70.0

    /// Strategy colours; cycled past ten series.
    static let palette = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f",
    ]

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    public static func render(_ results: [BenchResult]) -> String {
        let hasCurve = results.contains { !($0.rateCurve ?? []).isEmpty }
        let panelCount = hasCurve ? 3 : 2
        let panelSpan = panelTop + panelHeight + panelBottom
        var canvas = SVGCanvas(width: width, height: 70 + Double(panelCount) * panelSpan)

        canvas.text("FastChat benchmark", x: width / 2, y: 28, size: 20, anchor: .middle, bold: true)
        canvas.text(subtitle(results), x: width / 2, y: 50, size: 12, anchor: .middle, fill: "#555")

        let labels = seriesLabels(results)
        func area(_ panel: Int) -> PlotArea {
            PlotArea(
                x: marginLeft, y: 70 + Double(panel) * panelSpan + panelTop,
                width: width - marginLeft - marginRight, height: panelHeight)
        }
        if results.isEmpty {
            canvas.text("no results", x: width / 2, y: area(0).y + panelHeight / 2, size: 16, anchor: .middle)
            return canvas.render()
        }
        SVGBarPanels.latency(results, labels: labels, area: area(0), on: &canvas)
        SVGBarPanels.throughput(results, labels: labels, area: area(1), on: &canvas)
        if hasCurve {
            SVGCurvePanel.draw(results, labels: labels, area: area(2), on: &canvas)
        }
        return canvas.render()
    }

    /// The strategy names, qualified by cluster size only when the same strategy ran more than once.
    static func seriesLabels(_ results: [BenchResult]) -> [String] {
        let strategies = results.map(\.strategy)
        return results.map { result in
            strategies.filter { $0 == result.strategy }.count > 1
                ? "\(result.strategy) (\(result.servers)s/\(result.clients)c)"
                : result.strategy
        }
    }

    /// What the runs had in common, so the reader knows what was measured.
    static func subtitle(_ results: [BenchResult]) -> String {
        func common<T: Equatable>(_ key: (BenchResult) -> T) -> T? {
            guard let first = results.first.map(key), results.allSatisfy({ key($0) == first }) else { return nil }
            return first
        }
        var parts: [String] = []
        if let servers = common(\.servers) { parts.append("\(servers) servers") }
        if let clients = common(\.clients) { parts.append("\(clients) clients") }
        if let groupSize = common(\.groupSize), groupSize > 0 { parts.append("groups of \(groupSize)") }
        if let duration = common(\.durationSeconds) { parts.append("\(Format.decimal(duration, 0)) s") }
        if let crypto = common(\.crypto) { parts.append(crypto ? "sealed per message" : "pre-sealed envelopes") }
        if let target = common(\.targetRatePerSecond) {
            parts.append(target.map { "target \(TickLabel.format($0)) msg/s" } ?? "saturation search")
        }
        return parts.joined(separator: " · ")
    }

    /// Panel heading, y-axis title and frame, shared by all panels.
    static func frame(title: String, yAxis: String, area: PlotArea, on canvas: inout SVGCanvas) {
        canvas.text(title, x: area.x, y: area.y - 16, size: 14, bold: true)
        canvas.text(
            yAxis, x: area.x - 58, y: area.y + area.height / 2, size: 12, anchor: .middle, rotation: -90)
        canvas.line(x1: area.x, y1: area.y, x2: area.x, y2: area.bottom, stroke: "#333")
        canvas.line(x1: area.x, y1: area.bottom, x2: area.right, y2: area.bottom, stroke: "#333")
    }

    /// A horizontal grid line with its label on the y axis.
    static func yTick(_ label: String, y: Double, area: PlotArea, on canvas: inout SVGCanvas) {
        canvas.line(x1: area.x, y1: y, x2: area.right, y2: y, stroke: "#e3e3e3")
        canvas.line(x1: area.x - 4, y1: y, x2: area.x, y2: y, stroke: "#333")
        canvas.text(label, x: area.x - 7, y: y + 4, size: 11, anchor: .end)
    }

    /// Coloured swatches with names, to the right of the data area.
    static func legend(_ entries: [(label: String, color: String)], area: PlotArea, on canvas: inout SVGCanvas) {
        for (index, entry) in entries.enumerated() {
            let y = area.y + 6 + Double(index) * 18
            canvas.rect(x: area.right + 16, y: y, width: 12, height: 12, fill: entry.color)
            canvas.text(entry.label, x: area.right + 34, y: y + 10, size: 11)
        }
    }

    /// Strategy names under their bar groups, slanted when the groups are too narrow for them.
    static func categoryLabels(_ labels: [String], area: PlotArea, on canvas: inout SVGCanvas) {
        let slot = area.width / Double(max(labels.count, 1))
        let longest = labels.map(\.count).max() ?? 0
        let slanted = Double(longest) * 6.5 > slot
        for (index, label) in labels.enumerated() {
            let x = area.x + slot * (Double(index) + 0.5)
            if slanted {
                canvas.text(label, x: x, y: area.bottom + 14, size: 11, anchor: .end, rotation: -30)
            } else {
                canvas.text(label, x: x, y: area.bottom + 18, size: 12, anchor: .middle)
            }
        }
    }
}
