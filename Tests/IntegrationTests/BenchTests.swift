import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `fastchat bench` run for real through the built binary: it starts its own `fastchat server` processes and a
/// balancer on a fresh SQLite store, signs simulated clients in over TCP and sends. Tiny runs (a few clients, one
/// second), so they check the command's contract — exit status, JSON keys, exact delivery, the SVG — not speed.
/// Serialized: each run already keeps both cores busy.
@Suite(.heavy, .serialized, .timeLimit(.minutes(10))) struct BenchTests {
    /// Every key the `--json` contract promises for a measured run.
    static let contractKeys = [
        "strategy", "servers", "clients", "offered_per_s", "delivered_per_s", "latency_ms", "lost", "duplicates",
        "reordered", "connections_per_node", "server_rss_mb", "server_cpu_s", "server_cpu_us_per_msg", "peak_rss_mb",
    ]
    static let latencyKeys = ["p50", "p90", "p99", "p999", "max"]

    /// Runs `fastchat bench ARGUMENTS --port P --data SCRATCH/bench` on a block of `servers + 1` free ports.
    /// With `metrics`, the started processes also serve metrics, on a second block of free ports.
    private func bench(
        _ arguments: [String], servers: Int, metrics: Bool = false, in scratch: Scratch
    ) async throws -> ProcessResult {
        let port = try BenchPorts.freeBlock(count: servers + 1)
        defer { BenchPorts.release(port) }
        let metricsPort = metrics ? try BenchPorts.freeBlock(count: servers + 1) : nil
        defer { metricsPort.map(BenchPorts.release) }
        return try await FastChatCLI.start(
            ["bench"] + arguments + ["--port", "\(port)", "--data", scratch.file("bench")]
                + (metricsPort.map { ["--metrics", "127.0.0.1:\($0)"] } ?? []),
            in: scratch.url
        ).waitForExit(timeout: .seconds(480))
    }

    /// The `--json` file as one object (one strategy was run).
    private func object(at path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let json = try JSONSerialization.jsonObject(with: data)
        return try #require(json as? [String: Any], "one strategy: the JSON is one object, not \(type(of: json))")
    }

    @Test func smallRoundRobinRunWritesTheJSONAndSVGContract() async throws {
        let scratch = try Scratch("bench")
        defer { scratch.remove() }
        let result = try await bench(
            ["--servers", "2", "--clients", "6", "--strategy", "round-robin", "--rate", "200", "--duration", "1",
             "--warmup", "0.5", "--json", scratch.file("b.json"), "--plot", scratch.file("b.svg")],
            servers: 2, in: scratch)
        #expect(result.exitCode == 0, "\(result)")

        let json = try object(at: scratch.file("b.json"))
        for key in Self.contractKeys {
            #expect(json[key] != nil, "the JSON has \(key)")
        }
        let latency = try #require(json["latency_ms"] as? [String: Any])
        for key in Self.latencyKeys {
            #expect(number(latency[key]) != nil, "latency_ms has \(key)")
        }
        #expect(json["strategy"] as? String == "round-robin")
        #expect(number(json["servers"]) == 2)
        #expect(number(json["clients"]) == 6)
        #expect(number(json["offered_per_s"]).map { $0 > 0 } == true)
        #expect(number(json["target_rate_per_s"]) == 200)
        expectExactDelivery(json)
        #expect(number(json["delivered_per_s"]).map { $0 > 0 } == true, "something was delivered")

        let connections = try #require(json["connections_per_node"] as? [String: Any])
        #expect(connections.count == 2, "connections on both nodes: \(connections)")
        #expect(connections.values.compactMap(number).reduce(0, +) == 6, "the 6 clients over the nodes: \(connections)")
        let cpu = try #require(json["server_cpu_s"] as? [String: Any])
        #expect(cpu.count == 2, "CPU time of both nodes: \(cpu)")
        #expect(Set(cpu.keys) == Set(connections.keys))
        #expect(cpu.values.allSatisfy { number($0).map { $0 >= 0 } == true })
        let rss = try #require(json["server_rss_mb"] as? [String: Any])
        #expect(rss.count == 2 && rss.values.allSatisfy { number($0).map { $0 > 0 } == true }, "\(rss)")

        let svg = try String(contentsOfFile: scratch.file("b.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"), "an SVG: \(svg.prefix(80))")
        #expect(svg.contains("</svg>"))
    }

    @Test func groupRunCountsMemberMessages() async throws {
        let scratch = try Scratch("bench-group")
        defer { scratch.remove() }
        let result = try await bench(
            ["--servers", "2", "--clients", "6", "--group-size", "3", "--strategy", "round-robin", "--rate", "200",
             "--duration", "1", "--warmup", "0.5", "--json", scratch.file("g.json")],
            servers: 2, in: scratch)
        #expect(result.exitCode == 0, "\(result)")

        let json = try object(at: scratch.file("g.json"))
        #expect(number(json["group_size"]) == 3)
        let members = try #require(number(json["member_messages_per_s"]), "member_messages_per_s is there")
        #expect(members > 0)
        expectExactDelivery(json)
    }

    @Test func idleConnectionsReportMemoryPerConnection() async throws {
        let scratch = try Scratch("bench-idle")
        defer { scratch.remove() }
        // --idle runs one node, whatever --servers says.
        let result = try await bench(["--idle", "20", "--json", scratch.file("i.json")], servers: 1, in: scratch)
        #expect(result.exitCode == 0, "\(result)")

        let json = try object(at: scratch.file("i.json"))
        let perConnection = try #require(number(json["rss_kb_per_idle_conn"]), "rss_kb_per_idle_conn is there")
        #expect(perConnection > 0)
        #expect(number(json["clients"]) == 20)
        let connections = try #require(json["connections_per_node"] as? [String: Any])
        #expect(connections.values.compactMap(number).reduce(0, +) == 20, "\(connections)")
    }

    @Test func slowReadersGetEveryMessageOnceAndThePeakRSSIsReported() async throws {
        let scratch = try Scratch("bench-slow")
        defer { scratch.remove() }
        // --slow-readers runs one node, whatever --servers says: 20 clients write to 20 readers that do not read
        // for the 3 s (plus warm-up), then read; the bench itself fails (exit 1) unless each message came once.
        let result = try await bench(
            ["--slow-readers", "20", "--clients", "20", "--rate", "400", "--duration", "3", "--warmup", "0.5",
             "--json", scratch.file("s.json")],
            servers: 1, in: scratch)
        #expect(result.exitCode == 0, "\(result)")

        let json = try object(at: scratch.file("s.json"))
        #expect(number(json["slow_readers"]) == 20)
        let peak = try #require(number(json["peak_rss_mb"]), "peak_rss_mb is there")
        #expect(peak > 0)
        expectExactDelivery(json)
        #expect(number(json["offered_per_s"]).map { $0 > 0 } == true)
        // The timed pair's messages: the only ones delivered in the window, and their latency measured.
        #expect(number(json["delivered_per_s"]).map { $0 > 0 } == true, "the pair's messages arrived")
        let latency = try #require(json["latency_ms"] as? [String: Any])
        #expect(number(latency["p50"]).map { $0 > 0 } == true, "\(latency)")
        let connections = try #require(json["connections_per_node"] as? [String: Any])
        #expect(connections.count == 1, "one node: \(connections)")
        #expect(connections.values.compactMap(number).reduce(0, +) == 42, "20 clients, the pair and 20 readers")
    }

    @Test func aRollingRestartLosesNothingAndNoClientSeesAnError() async throws {
        let scratch = try Scratch("bench-rolling")
        defer { scratch.remove() }
        // Both nodes get SIGTERM in turn while 10 clients send: each drains, its clients move to the other, it
        // starts again (binding its metrics port again). The bench itself fails (exit 1) on a loss, a duplicate,
        // a reordering or a client error.
        let result = try await bench(
            ["--servers", "2", "--clients", "10", "--rate", "100", "--duration", "2", "--warmup", "0.5",
             "--rolling-restart", "--json", scratch.file("r.json")],
            servers: 2, metrics: true, in: scratch)
        #expect(result.exitCode == 0, "\(result)")

        let json = try object(at: scratch.file("r.json"))
        #expect(number(json["rolling_restarts"]) == 2)
        #expect(number(json["client_errors"]) == 0, "\(json)")
        #expect((json["client_errors_by_cause"] as? [String: Any])?.isEmpty == true, "\(json)")
        #expect(json["metrics"] as? Bool == true)
        expectExactDelivery(json)
        // A node that closed its clients instead of moving them would show here as lost connections.
        #expect(number(json["delivered_per_s"]).map { $0 > 0 } == true)
        // The restarted nodes' CPU time counts their earlier processes' too.
        let cpu = try #require(json["server_cpu_s"] as? [String: Any])
        #expect(cpu.values.compactMap(number).allSatisfy { $0 > 0 }, "\(cpu)")
    }

    /// Ctrl-C (SIGINT) in the middle of a run stops the cluster the bench started: no node or balancer stays behind
    /// on the ports.
    @Test func anInterruptedRunLeavesNoProcessBehind() async throws {
        let scratch = try Scratch("bench-interrupted")
        defer { scratch.remove() }
        let port = try BenchPorts.freeBlock(count: 3)
        defer { BenchPorts.release(port) }
        let ports = Array(port...port + 2)
        let bench = try FastChatCLI.start(
            ["bench", "--servers", "2", "--clients", "4", "--rate", "10", "--duration", "600", "--port", "\(port)",
             "--data", scratch.file("bench")],
            in: scratch.url)
        // Clients sign in once every process of the cluster is up.
        let started = await poll(until: .now + patience) { bench.stdout.contains("signed in") || !bench.isRunning }
        #expect(started && bench.isRunning, "\(bench.stderr)")
        bench.signal(SIGINT)
        let result = try await bench.waitForExit()
        #expect(result.exitCode == 128 + SIGINT, "\(result)")
        let freed = await poll(until: .now + patience) { ports.allSatisfy(BenchPorts.isFree) }
        #expect(freed, "ports still taken: \(ports.filter { !BenchPorts.isFree($0) })")
    }

    @Test(arguments: [
        (["--strategy", "nonsense"], "--strategy"),
        (["--clients", "1"], "--clients"),
        (["--clients", "6", "--group-size", "1"], "--group-size"),
        (["--slow-readers", "0"], "--slow-readers"),
        (["--clients", "4", "--slow-readers", "5"], "--slow-readers"),
        (["--servers", "1", "--rolling-restart"], "--rolling-restart"),
        (["--metrics", "99999"], "--metrics"),
        (["--metrics", "127.0.0.1:1", "--connect", "127.0.0.1:7100", "--tls", "off"], "--metrics"),
    ])
    func usageErrorsExitOneWithASentence(_ arguments: [String], _ option: String) async throws {
        let scratch = try Scratch("bench-usage")
        defer { scratch.remove() }
        let result = try await bench(arguments + ["--duration", "1"], servers: 1, in: scratch)
        #expect(result.exitCode == 1, "\(result)")
        let sentence = result.stderrLines.first { $0.contains(option) }
        #expect(sentence != nil, "stderr names \(option): \(result.stderr)")
        #expect(sentence.map { $0.trimmingCharacters(in: .whitespaces).hasSuffix(".") } == true, "a sentence: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("bench")), "no cluster was started")
    }
}

/// Nothing lost, duplicated or reordered.
private func expectExactDelivery(_ json: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
    for key in ["lost", "duplicates", "reordered"] {
        #expect(number(json[key]) == 0, "\(key): \(json[key] ?? "absent")", sourceLocation: sourceLocation)
    }
}

/// A JSON number (JSONSerialization gives NSNumber for integers and doubles alike).
private func number(_ value: Any?) -> Double? {
    guard let value, !(value is String), let number = value as? NSNumber else { return nil }
    return number.doubleValue
}

/// Blocks of consecutive loopback ports that are free right now, below the kernel's ephemeral range (so a port-0
/// listener elsewhere in the tests cannot be handed one of them), and never the same block twice at once in this
/// process.
private enum BenchPorts {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var reserved: Set<Int> = []
    private static let span = 16

    /// The first port of `count` consecutive free ports.
    static func freeBlock(count: Int) throws -> Int {
        precondition(count <= span)
        for _ in 0..<200 {
            let base = Int.random(in: 1200..<1950) * span  // 19200 ..< 31200
            let claimed: Bool = lock.withLock {
                guard !reserved.contains(base) else { return false }
                reserved.insert(base)
                return true
            }
            guard claimed else { continue }
            if (base..<base + count).allSatisfy(isFree) { return base }
            release(base)
        }
        throw ProcessTestError("No block of \(count) free loopback ports found.")
    }

    static func release(_ base: Int) {
        _ = lock.withLock { reserved.remove(base) }
    }

    /// Whether 127.0.0.1:`port` can be bound (and listened on) right now.
    static func isFree(_ port: Int) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0 && listen(fd, 1) == 0
    }
}
