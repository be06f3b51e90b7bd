import Metrics
import Foundation

/// The process's resident memory and CPU time, read from /proc/self when scraped, under the names Prometheus
/// client libraries use (`process_resident_memory_bytes`, `process_cpu_seconds_total`), so dashboards made for
/// them work unchanged.
public actor ProcessMetrics {
    private let residentMemory: Gauge
    private let cpuSeconds: FloatingPointCounter
    private var cpuSecondsReported: Double = 0

    public init(factory: any MetricsFactory) {
        residentMemory = Gauge(label: "process_resident_memory_bytes", factory: factory)
        cpuSeconds = FloatingPointCounter(label: "process_cpu_seconds_total", factory: factory)
    }

    /// Updates both from /proc/self (nothing happens where there is no /proc).
    public func sample() {
        if let sample = ProcessSample.read() {
            residentMemory.record(sample.residentBytes)
            // A counter only goes up: it is moved by what was spent since the last sample.
            if sample.cpuSeconds > cpuSecondsReported {
                cpuSeconds.increment(by: sample.cpuSeconds - cpuSecondsReported)
                cpuSecondsReported = sample.cpuSeconds
            }
        }
    }
}

/// One reading of /proc/self/stat and /proc/self/statm.
struct ProcessSample: Sendable, Equatable {
    var residentBytes: Int
    var cpuSeconds: Double

    static func read() -> ProcessSample? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        else { return nil }
        return parse(stat: stat, statm: statm, ticksPerSecond: sysconf(Int32(_SC_CLK_TCK)), pageSize: sysconf(Int32(_SC_PAGESIZE)))
    }

    /// `stat`: fields after the command name (which may hold spaces and parentheses, so it ends at the last ")");
    /// utime and stime are the 14th and 15th fields, in clock ticks. `statm`: the second field is resident pages.
    static func parse(stat: String, statm: String, ticksPerSecond: Int, pageSize: Int) -> ProcessSample? {
        guard ticksPerSecond > 0, pageSize > 0, let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the 3rd field (state): utime is fields[11], stime fields[12].
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]), user >= 0, system >= 0
        else { return nil }
        let pages = statm.split(separator: " ")
        guard pages.count > 1, let resident = Int(pages[1]), resident >= 0 else { return nil }
        let (bytes, overflow) = resident.multipliedReportingOverflow(by: pageSize)
        guard !overflow else { return nil }
        return ProcessSample(residentBytes: bytes, cpuSeconds: Double(user + system) / Double(ticksPerSecond))
    }
}
