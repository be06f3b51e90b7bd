import Foundation
import Testing
@testable import FastChatBench

@Suite struct BenchJSONTests {
    private static let contractKeys: Set<String> = [
        "strategy", "servers", "clients", "offered_per_s", "delivered_per_s", "latency_ms", "lost", "duplicates",
        "reordered", "connections_per_node", "server_rss_mb", "server_cpu_s", "server_cpu_us_per_msg", "group_size",
        "duration_s", "crypto", "peak_rss_mb",
    ]
    private static let latencyKeys: Set<String> = ["p50", "p90", "p99", "p999", "max"]

    @Test func oneRunIsASingleObjectWithEveryContractKey() throws {
        let data = try BenchResult.encode([Fixtures.result("round-robin", curve: Fixtures.curve)])
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Self.contractKeys.isSubset(of: Set(object.keys)))
        #expect(Set(object.keys).isSubset(of: Self.contractKeys.union([
            "target_rate_per_s", "rate_curve", "member_messages_per_s", "rss_kb_per_idle_conn", "slow_readers",
        ])))
        #expect(object["peak_rss_mb"] as? Double == 41, "the highest node's peak RSS")
        let latency = try #require(object["latency_ms"] as? [String: Any])
        #expect(Set(latency.keys) == Self.latencyKeys)
        #expect(latency["p999"] as? Double == 48)
        #expect(object["strategy"] as? String == "round-robin")
        #expect(object["lost"] as? Int == 4)
        #expect((object["connections_per_node"] as? [String: Int])?["s2"] == 66)

        let curve = try #require(object["rate_curve"] as? [[String: Any]])
        #expect(curve.count == 3)
        #expect(Set(curve[0].keys) == ["offered_per_s", "delivered_per_s", "latency_ms"])
        #expect(Set(try #require(curve[0]["latency_ms"] as? [String: Any]).keys) == Self.latencyKeys)
    }

    @Test func severalRunsAreAnArray() throws {
        let results = [Fixtures.result("round-robin"), Fixtures.result("least-connections")]
        let data = try BenchResult.encode(results)
        let array = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(array.map { $0["strategy"] as? String } == ["round-robin", "least-connections"])
        #expect(array.allSatisfy { Self.contractKeys.isSubset(of: Set($0.keys)) })
        #expect(try BenchResult.decode(data) == results)
    }

    @Test func roundTripsOneRunAndKeepsNilOptionalsOut() throws {
        let result = Fixtures.result("random")
        let data = try BenchResult.encode([result])
        #expect(try BenchResult.decode(data) == [result])
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["rate_curve"] == nil)
        #expect(object["rss_kb_per_idle_conn"] == nil)
        #expect(object["target_rate_per_s"] as? Double == 10_000)
    }

    @Test func nonFiniteNumbersDoNotLoseTheRun() throws {
        var result = Fixtures.result("random")
        result.deliveredPerSecond = .nan
        result.serverCPUMicrosecondsPerMessage = .infinity
        let decoded = try BenchResult.decode(try BenchResult.encode([result]))
        #expect(decoded.count == 1)
        #expect(decoded[0].deliveredPerSecond.isNaN)
        #expect(decoded[0].serverCPUMicrosecondsPerMessage == .infinity)
    }

    @Test func reportHasRunsMachineAndCommandAndWritesToDisk() throws {
        let report = BenchReport(
            runs: [Fixtures.result("hash")], machine: .init(cores: 2, os: "Linux"), command: "fastchat bench --json x")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try report.write(to: url)
        let data = try Data(contentsOf: url)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["runs", "machine", "command"])
        #expect(Set(try #require(object["machine"] as? [String: Any]).keys) == ["cores", "os"])
        #expect(try BenchReport.decode(data) == report)
        #expect(BenchReport.Machine.current.cores >= 1)
    }
}
