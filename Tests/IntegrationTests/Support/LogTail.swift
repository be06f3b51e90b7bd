import Foundation
import Logging
import Synchronization

/// The last lines something logged, kept so that a failing test can print them instead of asking for a rerun with
/// more logging. Bounded: a long test keeps only its tail.
final class LogTail: Sendable {
    private let capacity: Int
    private let lines = Mutex<[String]>([])

    init(capacity: Int = 200) {
        self.capacity = capacity
    }

    func append(_ line: String) {
        lines.withLock { lines in
            lines.append(line)
            if lines.count > capacity { lines.removeFirst(lines.count - capacity) }
        }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

/// A swift-log handler that writes into a `LogTail` (and to stderr too when `FASTCHAT_TEST_LOG` is set).
struct LogTailHandler: LogHandler {
    let tail: LogTail
    let echo: Bool
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "\(Date()) \(event.level) \(event.message)\(fields.isEmpty ? "" : " " + fields)"
        tail.append(line)
        if echo { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// A logger into `tail`: info and up, or everything when `FASTCHAT_TEST_LOG` is set (which also echoes).
    static func logger(label: String, into tail: LogTail) -> Logger {
        let verbose = ProcessInfo.processInfo.environment["FASTCHAT_TEST_LOG"] != nil
        return Logger(label: label) { _ in
            LogTailHandler(tail: tail, echo: verbose, logLevel: verbose ? .debug : .info)
        }
    }
}

/// Where the log of the node a test talks to can be read: set by `withCLIServer` and `withNode`, so that a client
/// process's result (printed by every failing `#expect` that shows it) carries the node's last lines.
enum NodeLog {
    @TaskLocal static var tail: (@Sendable () -> String)?

    /// The last `lines` lines of the current node's log, if a test has set one.
    static func current(lines: Int = 40) -> String? {
        tail.map { last(lines, of: $0()) }
    }

    static func last(_ lines: Int, of text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
