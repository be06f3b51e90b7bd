import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import FastChatBench

@Suite struct SVGPlotTests {
    /// Collects what the tests look at while checking that the SVG is well-formed XML.
    private final class Inspector: NSObject, XMLParserDelegate {
        var root: (name: String, attributes: [String: String])?
        var elementCounts: [String: Int] = [:]
        var texts: [String] = []
        private var currentText: String?

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if root == nil { root = (name, attributes) }
            elementCounts[name, default: 0] += 1
            if name == "text" { currentText = "" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            currentText? += string
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text", let text = currentText { texts.append(text) }
            currentText = nil
        }
    }

    private func inspect(_ svg: String) throws -> Inspector {
        let parser = XMLParser(data: Data(svg.utf8))
        let inspector = Inspector()
        parser.delegate = inspector
        let parsed = parser.parse()
        #expect(parsed, "not well-formed XML: \(String(describing: parser.parserError))")
        return inspector
    }

    private func expectNoNonFiniteNumbers(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lowered = svg.lowercased()
        #expect(!lowered.contains("nan"), sourceLocation: sourceLocation)
        #expect(!lowered.contains("inf"), sourceLocation: sourceLocation)
    }

    @Test func barChartsLabelEveryStrategy() throws {
        let strategies = ["round-robin", "least-connections", "random", "consistent-hash", "weighted", "power-of-two"]
        let svg = SVGPlot.render(strategies.enumerated().map { index, name in
            Fixtures.result(name, delivered: 1_000 * Double(index + 1))
        })
        let inspector = try inspect(svg)
        let root = try #require(inspector.root)
        #expect(root.name == "svg")
        #expect(Double(root.attributes["width"] ?? "") ?? 0 > 0)
        #expect(Double(root.attributes["height"] ?? "") ?? 0 > 0)
        for name in strategies {
            #expect(inspector.texts.contains(name), "no label for \(name)")
        }
        #expect(inspector.texts.contains("p99.9"))
        #expect(inspector.texts.contains("6000"), "throughput value label")
        #expect(inspector.elementCounts["rect", default: 0] >= strategies.count * 5)
        #expect(inspector.elementCounts["polyline"] == nil)
        #expect(!svg.contains("<script"))
        expectNoNonFiniteNumbers(svg)
    }

    @Test func rateCurvesDrawPolylinesPerStrategy() throws {
        let svg = SVGPlot.render([
            Fixtures.result("round-robin", curve: Fixtures.curve),
            Fixtures.result("random", curve: Array(Fixtures.curve.prefix(2))),
        ])
        let inspector = try inspect(svg)
        // p50 and p99 for each of the two strategies.
        #expect(inspector.elementCounts["polyline"] == 4)
        #expect(inspector.elementCounts["circle"] == 10)
        #expect(inspector.texts.contains("offered messages/s"))
        expectNoNonFiniteNumbers(svg)
    }

    @Test func oneResultWithZeroLatenciesAndNoTraffic() throws {
        let svg = SVGPlot.render([Fixtures.result("only", delivered: 0, latency: .zero)])
        let inspector = try inspect(svg)
        #expect(inspector.texts.contains("only"))
        #expect(inspector.texts.contains("0.01"), "log axis floor")
        expectNoNonFiniteNumbers(svg)
    }

    @Test func hugeAndNonFiniteValuesStayFinite() throws {
        var wild = Fixtures.result("wild", delivered: .infinity,
                                   latency: LatencySummary(p50: .nan, p90: 1e9, p99: .infinity, p999: 1e12, max: 1e12))
        wild.offeredPerSecond = .nan
        wild.rateCurve = [RatePoint(offeredPerSecond: .infinity, deliveredPerSecond: .nan, latency: .zero)]
        let svg = SVGPlot.render([wild, Fixtures.result("tame", delivered: 5e9)])
        _ = try inspect(svg)
        expectNoNonFiniteNumbers(svg)
        #expect(!svg.contains("e+"), "no exponent notation in coordinates or labels")
    }

    @Test func textIsEscapedAndRepeatedStrategiesAreQualified() throws {
        var other = Fixtures.result("a<b & \"c\"")
        other.servers = 5
        let svg = SVGPlot.render([Fixtures.result("a<b & \"c\""), other])
        let inspector = try inspect(svg)
        #expect(inspector.texts.contains("a<b & \"c\" (3s/200c)"))
        #expect(inspector.texts.contains("a<b & \"c\" (5s/200c)"))
    }

    @Test func noResultsStillRendersADocument() throws {
        let inspector = try inspect(SVGPlot.render([]))
        #expect(inspector.root?.name == "svg")
        #expect(inspector.texts.contains("no results"))
    }
}
