import Foundation

extension BenchResult {
    /// The `--json` output: a single object for one run, an array of objects for several (`--strategy all`).
    public static func encode(_ results: [BenchResult]) throws -> Data { try BenchJSON.encode(results) }

    /// Reads what `encode` wrote, either shape.
    public static func decode(_ data: Data) throws -> [BenchResult] { try BenchJSON.decode(data) }

    public static func write(_ results: [BenchResult], to url: URL) throws { try BenchJSON.write(results, to: url) }
}

/// A run's results with the machine they ran on and the command that produced them.
public struct BenchReport: Codable, Sendable, Equatable {
    public struct Machine: Codable, Sendable, Equatable {
        public var cores: Int
        public var os: String

        public init(cores: Int, os: String) {
            self.cores = cores
            self.os = os
        }

        public static var current: Machine {
            let info = ProcessInfo.processInfo
            return Machine(cores: info.activeProcessorCount, os: info.operatingSystemVersionString)
        }
    }

    public var runs: [BenchResult]
    public var machine: Machine
    public var command: String

    public init(runs: [BenchResult], machine: Machine = .current, command: String) {
        self.runs = runs
        self.machine = machine
        self.command = command
    }

    public func encoded() throws -> Data {
        try BenchJSON.encoder().encode(self)
    }

    public func write(to url: URL) throws {
        try encoded().write(to: url, options: .atomic)
    }

    public static func decode(_ data: Data) throws -> BenchReport {
        try BenchJSON.decoder().decode(BenchReport.self, from: data)
    }
}

/// The JSON form of benchmark results, pretty-printed with sorted keys so files diff cleanly.
public enum BenchJSON {
    /// A single object for one run, an array of objects for several (`--strategy all`): the JSON's keys are
    /// those of one `BenchResult` either way.
    public static func encode(_ results: [BenchResult]) throws -> Data {
        let encoder = encoder()
        if results.count == 1 { return try encoder.encode(results[0]) }
        return try encoder.encode(results)
    }

    public static func decode(_ data: Data) throws -> [BenchResult] {
        let decoder = decoder()
        if let many = try? decoder.decode([BenchResult].self, from: data) { return many }
        return [try decoder.decode(BenchResult.self, from: data)]
    }

    public static func write(_ results: [BenchResult], to url: URL) throws {
        try encode(results).write(to: url, options: .atomic)
    }

    // A NaN or infinity (a rate over a zero-length window) must not throw away a benchmark that took minutes:
    // it is written as a string, which `decoder()` reads back.
    private static let nonFinite = (positive: "inf", negative: "-inf", nan: "nan")

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
        return decoder
    }
}
