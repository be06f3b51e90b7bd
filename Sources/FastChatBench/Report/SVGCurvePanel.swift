/// Latency against offered rate from the saturation search: where each strategy's latency turns upwards.
enum SVGCurvePanel {
    static func draw(_ results: [BenchResult], labels: [String], area: PlotArea, on canvas: inout SVGCanvas) {
        let curves = results.enumerated().compactMap { index, result -> (index: Int, points: [RatePoint])? in
            guard let curve = result.rateCurve, !curve.isEmpty else { return nil }
            return (index, curve.sorted { $0.offeredPerSecond < $1.offeredPerSecond })
        }
        let allPoints = curves.flatMap(\.points)
        let xScale = LinearScale(maximumValue: allPoints.map(\.offeredPerSecond).filter(\.isFinite).max() ?? 0)
        let yScale = LogScale(values: allPoints.flatMap { [$0.latency.p50, $0.latency.p99] })

        SVGPlot.frame(
            title: "Latency vs offered rate (solid p50, dashed p99)", yAxis: "latency (ms, log scale)",
            area: area, on: &canvas)
        for tick in yScale.ticks {
            SVGPlot.yTick(TickLabel.format(tick), y: yScale.position(tick, in: area), area: area, on: &canvas)
        }
        for tick in xScale.ticks {
            let x = xScale.position(tick, in: area, horizontal: true)
            canvas.line(x1: x, y1: area.bottom, x2: x, y2: area.bottom + 4, stroke: "#333")
            canvas.text(TickLabel.format(tick), x: x, y: area.bottom + 17, size: 11, anchor: .middle)
        }
        canvas.text(
            "offered messages/s", x: area.x + area.width / 2, y: area.bottom + 38, size: 12, anchor: .middle)

        for curve in curves {
            let color = SVGPlot.color(curve.index)
            for (value, dash) in [({ (l: LatencySummary) in l.p50 }, nil as String?), ({ $0.p99 }, "6 4")] {
                let points = curve.points.map { point in
                    (x: xScale.position(point.offeredPerSecond, in: area, horizontal: true),
                     y: yScale.position(value(point.latency), in: area))
                }
                canvas.polyline(points, stroke: color, dash: dash)
                for (point, step) in zip(points, curve.points) {
                    canvas.circle(
                        cx: point.x, cy: point.y, r: 3, fill: color,
                        tooltip: "\(labels[curve.index]) at \(Format.rate(step.offeredPerSecond)) offered/s: "
                            + "\(Format.milliseconds(value(step.latency))) ms, "
                            + "\(Format.rate(step.deliveredPerSecond)) delivered/s")
                }
            }
        }
        SVGPlot.legend(curves.map { (labels[$0.index], SVGPlot.color($0.index)) }, area: area, on: &canvas)
    }
}
