import Foundation
import Logging

/// Keeps every message logged through it, for tests about what a store logs.
struct RecordingLogHandler: LogHandler {
    final class Records: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [(level: Logger.Level, message: String)] = []

        func append(_ level: Logger.Level, _ message: String) {
            lock.withLock { entries.append((level, message)) }
        }

        var all: [(level: Logger.Level, message: String)] { lock.withLock { entries } }
    }

    let records: Records
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.append(event.level, event.message.description)
    }

    /// A logger whose messages end up in the returned records.
    static func logger() -> (Logger, Records) {
        let records = Records()
        return (Logger(label: "test.recording") { _ in RecordingLogHandler(records: records) }, records)
    }
}
