import Foundation

/// CPU time and memory of one server process, read from Linux's /proc (the bench starts the servers on this machine,
/// or finds their pids in the node registry when it connects to a cluster on this machine).
public struct ProcessSample: Sendable, Equatable {
    /// User plus system CPU time so far.
    public var cpuSeconds: Double
    /// Resident set size now.
    public var rssBytes: Int
    /// The largest resident set size so far.
    public var peakRSSBytes: Int

    public init(cpuSeconds: Double, rssBytes: Int, peakRSSBytes: Int) {
        self.cpuSeconds = cpuSeconds
        self.rssBytes = rssBytes
        self.peakRSSBytes = peakRSSBytes
    }

    /// Nil when the process is gone or /proc is not there.
    public static func read(pid: Int32) -> ProcessSample? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return nil }
        return parse(stat: stat, status: status, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// `stat` fields 14 and 15 are utime and stime in clock ticks; they follow the command name, which is in
    /// parentheses and may itself contain spaces, hence the split after the last ')'.
    static func parse(stat: String, status: String, ticksPerSecond: Double) -> ProcessSample? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]), ticksPerSecond > 0 else {
            return nil
        }
        func kilobytes(_ key: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
        }
        guard let rss = kilobytes("VmRSS") else { return nil }
        return ProcessSample(
            cpuSeconds: (user + system) / ticksPerSecond, rssBytes: rss * 1024, peakRSSBytes: (kilobytes("VmHWM") ?? rss) * 1024)
    }
}
