import Foundation

/// A tiny SVG element builder: plain elements with inline attributes, escaped text, and numbers that are always
/// finite (a NaN in a coordinate makes browsers drop the element silently).
struct SVGCanvas {
    enum Anchor: String {
        case start, middle, end
    }

    let width: Double
    let height: Double
    private var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, tooltip: String? = nil) {
        let attributes = "x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(max(0, height)))\""
            + " fill=\"\(fill)\""
        if let tooltip {
            elements.append("<rect \(attributes)><title>\(Self.escape(tooltip))</title></rect>")
        } else {
            elements.append("<rect \(attributes)/>")
        }
    }

    mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, strokeWidth: Double = 1, dash: String? = nil
    ) {
        let dashAttribute = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        elements.append(
            "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\""
                + " stroke-width=\"\(n(strokeWidth))\"\(dashAttribute)/>")
    }

    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, strokeWidth: Double = 2, dash: String? = nil) {
        guard !points.isEmpty else { return }
        let dashAttribute = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        let coordinates = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
        elements.append(
            "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(n(strokeWidth))\""
                + " stroke-linejoin=\"round\"\(dashAttribute)/>")
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String, tooltip: String? = nil) {
        let attributes = "cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"\(n(r))\" fill=\"\(fill)\""
        if let tooltip {
            elements.append("<circle \(attributes)><title>\(Self.escape(tooltip))</title></circle>")
        } else {
            elements.append("<circle \(attributes)/>")
        }
    }

    /// `rotation` turns the text about its anchor point, in degrees (negative is anticlockwise).
    mutating func text(
        _ content: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start, bold: Bool = false,
        fill: String = "#222", rotation: Double? = nil
    ) {
        var attributes = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" fill=\"\(fill)\""
        if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
        if bold { attributes += " font-weight=\"bold\"" }
        if let rotation { attributes += " transform=\"rotate(\(n(rotation)) \(n(x)) \(n(y)))\"" }
        elements.append("<text \(attributes)>\(Self.escape(content))</text>")
    }

    func render() -> String {
        let header = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\""
            + " viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        let background = "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>\n"
        return header + background + elements.joined(separator: "\n") + "\n</svg>\n"
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Two decimals at most, trailing zeros dropped; non-finite values become 0 and huge ones are clamped so the
    /// output never holds "nan", "inf" or exponent notation.
    private func n(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let clamped = min(max(value, -1e9), 1e9)
        var text = String(format: "%.2f", clamped)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}
