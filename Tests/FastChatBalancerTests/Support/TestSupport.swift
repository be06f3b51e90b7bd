import FastChatBalancer
import FastChatStore
import Foundation
import Logging
import Synchronization

enum Fixtures {
    static let logger: Logger = {
        var logger = Logger(label: "test.balancer")
        logger.logLevel = ProcessInfo.processInfo.environment["FASTCHAT_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }()

    /// Millisecond-aligned, because that is the precision stores keep.
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000.123)

    /// A registry row for node `name` listening on 127.0.0.1:`port`, last heard from at `heartbeatAt`.
    static func node(_ name: String, port: Int, connections: Int = 0, heartbeatAt: Date) -> NodeRecord {
        NodeRecord(
            name: name,
            address: "127.0.0.1:\(port)",
            pid: 20_000 + port,
            connections: connections,
            startedAt: heartbeatAt,
            heartbeatAt: heartbeatAt)
    }

    /// The current time as the store keeps it (whole milliseconds).
    static var now: Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

/// SplitMix64: a tiny seeded generator, so random placements repeat exactly.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A clock that moves only when told to.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Fixtures.epoch) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0.addTimeInterval(seconds) }
    }
}

/// A SQLite store in a fresh temporary directory, removed afterwards even when `body` fails.
func withStore<T>(_ body: (SQLiteStore) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("FastChatBalancerTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await SQLiteStore.withStore(
        path: directory.appendingPathComponent("fastchat.db").path, logger: Fixtures.logger, body)
}
