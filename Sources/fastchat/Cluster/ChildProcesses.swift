import FastChatProtocol
import Foundation

/// The processes `fastchat cluster` started: each logs to its own file, and all are stopped together.
final class ChildProcesses: @unchecked Sendable {
    // @unchecked: `children` is only touched under `lock` — Foundation's Process is not Sendable, and termination
    // handlers run on arbitrary threads.
    private let lock = NSLock()
    private var children: [(name: String, process: Process, arguments: [String])] = []
    /// CPU seconds of the restarted processes of each name, from their start to their exit.
    private var exitedCPU: [String: Double] = [:]
    /// SIGINT and SIGTERM handlers while `stopAllOnTermination` is in force.
    private var signalSources: [any DispatchSourceSignal] = []
    private let executable: URL
    private let logDirectory: URL

    init(logDirectory: URL) throws {
        executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        self.logDirectory = logDirectory
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
    }

    /// Starts `fastchat ARGUMENTS`, its output appended to `<logs>/<name>.log`; returns its pid.
    func start(_ name: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let logURL = logDirectory.appendingPathComponent("\(name).log")
        // Appended to: a restarted process's log follows its earlier life's.
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logURL)
        try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        lock.withLock { children.append((name, process, arguments)) }
        return process.processIdentifier
    }

    /// SIGTERM to `name` (a node drains first: its clients move), waits for it to exit (SIGKILL after `grace`), and
    /// starts it again with the same arguments; returns the new pid.
    func restart(_ name: String, grace: Duration) async throws -> Int32 {
        guard let child = lock.withLock({ children.last { $0.name == name } }) else {
            throw ProtocolError(.internal, "No process named \(name) was started.")
        }
        // An exited process's CPU time can no longer be read from /proc, but once reaped it is counted in this
        // process's RUSAGE_CHILDREN; restarts run one at a time, so the difference is that process's.
        let reapedBefore = Self.reapedChildrenCPUSeconds()
        child.process.terminate()
        let deadline = ContinuousClock.now + grace
        while child.process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        if child.process.isRunning {
            kill(child.process.processIdentifier, SIGKILL)
            child.process.waitUntilExit()
        }
        let used = Self.reapedChildrenCPUSeconds() - reapedBefore
        lock.withLock {
            children.removeAll { $0.process === child.process }
            exitedCPU[name, default: 0] += max(0, used)
        }
        return try start(name, child.arguments)
    }

    /// CPU seconds used by the earlier processes of `name` that a restart stopped.
    func exitedCPUSeconds(of name: String) -> Double {
        lock.withLock { exitedCPU[name] ?? 0 }
    }

    private static func reapedChildrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Polls `probe` until it succeeds; a process that exits first is an error pointing at its log.
    func waitUntilAnswering(name: String, at address: String, _ probe: () async throws -> Void) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if exited().contains(name) {
                throw ProtocolError(.internal, "\(name) exited at start; its log is in \(logDirectory.path).")
            }
            if (try? await probe()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProtocolError(.internal, "\(name) did not answer on \(address) within 30 seconds.")
    }

    /// The pid of each running child, by name.
    func pids() -> [String: Int32] {
        lock.withLock {
            Dictionary(children.filter { $0.process.isRunning }.map { ($0.name, $0.process.processIdentifier) },
                       uniquingKeysWith: { _, last in last })
        }
    }

    func exited() -> [String] {
        lock.withLock { children.filter { !$0.process.isRunning }.map(\.name) }
    }

    /// For a command that runs no services of its own (`bench`): SIGINT (Ctrl-C) or SIGTERM stops every child before
    /// this process exits, so an interrupted run leaves no cluster behind on its ports. Until `stopAll`.
    func stopAllOnTermination() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                stopAll(grace: 5)
                exit(128 + number)
            }
            source.resume()
            lock.withLock { signalSources.append(source) }
        }
    }

    /// SIGTERM to every child (they shut down cleanly), then waits; SIGKILL for any still running after `grace`.
    func stopAll(grace: TimeInterval = 10) {
        let sources = lock.withLock { defer { signalSources = [] }; return signalSources }
        for source in sources { source.cancel() }
        if !sources.isEmpty {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        let all = lock.withLock { children }
        for child in all where child.process.isRunning {
            child.process.terminate()
        }
        let deadline = Date().addingTimeInterval(grace)
        for child in all {
            while child.process.isRunning, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.05)
            }
            if child.process.isRunning {
                kill(child.process.processIdentifier, SIGKILL)
            }
        }
    }
}
