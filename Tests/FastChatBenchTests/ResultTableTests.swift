import Testing
@testable import FastChatBench

@Suite struct ResultTableTests {
    @Test func rowsCarryEachStrategyAndFormattedNumbers() {
        let table = ResultTable.render([
            Fixtures.result("round-robin"),
            Fixtures.result("least-connections", delivered: 123_456.7),
        ])
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("strategy"))
        #expect(lines[0].contains("p99.9 ms"))
        #expect(lines[0].contains("peak RSS MB"))
        #expect(lines[2].hasPrefix("round-robin "))
        #expect(lines[3].hasPrefix("least-connections "))
        for expected in ["10000", "9877", "1.25", "3.50", "12.8", "48.0", "130", "56.6", "121.0", "41.0"] {
            #expect(lines[2].contains(expected), "\(expected) missing from \(lines[2])")
        }
        #expect(lines[3].contains("123457"))
        // Right-aligned numbers: every row is as wide as the header and rule.
        #expect(Set(lines.map(\.count)).count == 1)
    }

    @Test func emptyLatenciesAndNonFiniteValuesPrintCleanly() {
        var result = Fixtures.result("random", latency: .zero)
        result.serverCPUMicrosecondsPerMessage = .nan
        let table = ResultTable.render([result])
        #expect(!table.lowercased().contains("nan"))
        #expect(!table.lowercased().contains("inf"))
    }

    @Test func progressLineShowsTimeDeliveredRateAndLatency() {
        let line = ResultTable.progressLine(elapsed: 12.34, total: 30, delivered: 98_765, ratePerSecond: 8_012.4, p50ms: 1.5)
        #expect(line.contains("12.3/30.0 s"))
        #expect(line.contains("41%"))
        #expect(line.contains("98765"))
        #expect(line.contains("8012 msg/s"))
        #expect(line.contains("p50 1.50 ms"))
        #expect(!line.contains("\n"))

        let starting = ResultTable.progressLine(elapsed: 0, total: 0, delivered: 0, ratePerSecond: 0, p50ms: nil)
        #expect(starting.contains("p50 -"))
    }
}
