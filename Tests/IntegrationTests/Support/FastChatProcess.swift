import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Running the real `fastchat` executable as separate OS processes: the scriptable client (`signup`, `send`,
// `receive`, `whois`) against a real `fastchat server`.
//
// - `FastChatBuild.executable` — where the built binary is (`swift build --build-tests` builds it).
// - `ChildProcess` — one process, its stdout/stderr captured into files, with waits that poll a condition against a
//   deadline (never a fixed sleep), signals, and a SIGKILL safety net when it is released.
// - `FastChatCLI.run` — run one client command to completion and get its exit status and output.
// - `ServerProcess` — a `fastchat server` on a free port (it is started with `--port 0` and the port is read from its
//   "listening on" log line), with waits on its log.
// - `Scratch` — a temporary directory for a database and client homes.
//
// Output goes to files rather than pipes: a pipe's write end can leak into a process another test starts at the same
// moment and then never reports end-of-file; a file needs no reader and no end-of-file.

enum FastChatBuild {
    /// The package root: this file is `<root>/Tests/IntegrationTests/Support/FastChatProcess.swift`.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // IntegrationTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `$FASTCHAT_BINARY` if set, else `<root>/.build/debug/fastchat`.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["FASTCHAT_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return packageRoot.appendingPathComponent(".build/debug/fastchat")
    }

    /// The executable, or an error that says how to build it.
    static func requireExecutable() throws -> URL {
        let url = executable
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw ProcessTestError(
                "No fastchat executable at \(url.path): build it with `swift build --build-tests` (or set FASTCHAT_BINARY).")
        }
        return url
    }
}

struct ProcessTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary directory, removed by `remove()`.
struct Scratch: Sendable {
    let url: URL

    init(_ label: String = "fastchat") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// How a process ended.
struct ProcessResult: Sendable, CustomStringConvertible {
    /// The exit status, or the signal number when `signaled`.
    var status: Int32
    var signaled: Bool
    var stdout: String
    var stderr: String
    /// The last lines of the log of the node the test talks to (`NodeLog`), so a failure shows both sides.
    var nodeLog: String? = nil

    var exitCode: Int32? { signaled ? nil : status }

    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    var description: String {
        "\(signaled ? "killed by signal" : "exit") \(status)\n--- stdout ---\n\(stdout)--- stderr ---\n\(stderr)"
            + (nodeLog.map { "--- the node's log ends with ---\n\($0)\n" } ?? "")
    }
}

/// One child process; its standard output and error go to files in `directory`.
final class ChildProcess: @unchecked Sendable {
    let label: String
    let arguments: [String]
    private let process = Process()
    private let stdoutPath: String
    private let stderrPath: String

    /// Starts `executable` with `arguments`. The environment is this process's minus every `FASTCHAT_*` variable,
    /// plus `environment`; standard input is `stdin` (or empty).
    init(
        executable: URL,
        arguments: [String],
        environment: [String: String] = [:],
        stdin: String? = nil,
        directory: URL,
        label: String
    ) throws {
        self.label = label
        self.arguments = arguments
        let unique = "\(label)-\(UUID().uuidString.prefix(8))"
        stdoutPath = directory.appendingPathComponent("\(unique).stdout").path
        stderrPath = directory.appendingPathComponent("\(unique).stderr").path
        let stdinPath = directory.appendingPathComponent("\(unique).stdin").path
        for (path, contents) in [(stdoutPath, Data()), (stderrPath, Data()), (stdinPath, Data((stdin ?? "").utf8))] {
            guard FileManager.default.createFile(atPath: path, contents: contents) else {
                throw ProcessTestError("could not create \(path)")
            }
        }

        var childEnvironment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FASTCHAT_") }
        childEnvironment["HOME"] = directory.path  // never the real ~/.fastchat
        childEnvironment.merge(environment) { _, new in new }

        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinPath))
        defer {
            try? output.close()
            try? error.close()
            try? input.close()
        }
        process.executableURL = executable
        process.arguments = arguments
        process.environment = childEnvironment
        process.currentDirectoryURL = directory
        process.standardOutput = output
        process.standardError = error
        process.standardInput = input
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Everything written to standard output so far.
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    /// Everything written to standard error so far.
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` if the process still runs (never to a pid that may have been reused).
    func signal(_ signal: Int32) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end; after `timeout` it is killed (SIGKILL) and the wait fails.
    @discardableResult
    func waitForExit(timeout: Duration = patience) async throws -> ProcessResult {
        let ended = await poll(until: .now + timeout) { !self.process.isRunning }
        guard ended else {
            signal(SIGKILL)
            process.waitUntilExit()
            throw ProcessTestError(
                "\(label) (\(arguments.joined(separator: " "))) did not exit within \(timeout); killed it.\n\(result())")
        }
        process.waitUntilExit()
        return result()
    }

    /// Waits until `condition` holds for standard error's text; fails after `timeout` or if the process exits first.
    @discardableResult
    func waitForStderr(
        timeout: Duration = patience,
        _ what: String,
        _ condition: @escaping @Sendable (String) -> Bool
    ) async throws -> String {
        var text = ""
        var exited = false
        let met = await poll(until: .now + timeout) {
            text = self.stderr
            if condition(text) { return true }
            exited = !self.process.isRunning
            return exited
        }
        guard met, !exited || condition(self.stderr) else {
            throw ProcessTestError(
                "\(label): \(exited ? "exited" : "timed out after \(timeout)") before \(what).\n--- stderr ---\n\(self.stderr)")
        }
        return text
    }

    /// Kills the process (SIGKILL) if it still runs, and waits for it.
    func kill9() async {
        if process.isRunning { signal(SIGKILL) }
        process.waitUntilExit()
    }

    private func result() -> ProcessResult {
        let signaled = process.terminationReason == .uncaughtSignal
        return ProcessResult(
            status: process.terminationStatus, signaled: signaled, stdout: stdout, stderr: stderr,
            nodeLog: NodeLog.current())
    }
}

/// Evaluates `condition` every few milliseconds until it holds (true) or `deadline` passes (false).
func poll(
    until deadline: ContinuousClock.Instant,
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

/// The scriptable client, run as a process.
enum FastChatCLI {
    /// Runs `fastchat ARGUMENTS` to completion (killed and failed after `timeout`).
    static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        stdin: String? = nil,
        in directory: URL,
        timeout: Duration = patience
    ) async throws -> ProcessResult {
        try await start(arguments, environment: environment, stdin: stdin, in: directory)
            .waitForExit(timeout: timeout)
    }

    /// Starts `fastchat ARGUMENTS` in the background.
    static func start(
        _ arguments: [String],
        environment: [String: String] = [:],
        stdin: String? = nil,
        in directory: URL
    ) throws -> ChildProcess {
        try ChildProcess(
            executable: try FastChatBuild.requireExecutable(),
            arguments: arguments,
            environment: environment,
            stdin: stdin,
            directory: directory,
            label: "fastchat \(arguments.first ?? "")"
        )
    }
}

/// A `fastchat server` process on a free loopback port.
final class ServerProcess: @unchecked Sendable {
    let process: ChildProcess
    let port: Int
    let name: String
    let database: String
    /// The cluster CA directory it serves TLS from (`<directory>/tls`), shared by every process of a test.
    let tls: TestTLS

    /// "127.0.0.1:PORT", for `--connect`.
    var address: String { "127.0.0.1:\(port)" }

    private init(process: ChildProcess, port: Int, name: String, database: String, tls: TestTLS) {
        self.process = process
        self.port = port
        self.name = name
        self.database = database
        self.tls = tls
    }

    /// Starts `fastchat server --port PORT --database DATABASE --name NAME --tls-dir DIRECTORY/tls` (PORT 0: the
    /// kernel picks one) and waits for its "Node NAME listening on …:PORT" line. Sign-ins cost the cheapest scrypt
    /// the server allows. The CA is made here first, so processes started together do not race to create it.
    static func start(
        database: String,
        name: String = "s1",
        port: Int = 0,
        extraArguments: [String] = [],
        in directory: URL,
        timeout: Duration = patience
    ) async throws -> ServerProcess {
        let tls = try TestTLS(in: directory)
        let process = try FastChatCLI.start(
            ["server", "--port", "\(port)", "--database", database, "--name", name]
                + (extraArguments.contains { ["--tls-cert", "--tls-dir", "--no-tls"].contains($0) } ? [] : tls.serverArguments)
                + extraArguments,
            in: directory
        )
        let log = try await process.waitForStderr(timeout: timeout, "it logged \"listening on\"") {
            listeningPort(in: $0, node: name) != nil
        }
        return ServerProcess(
            process: process, port: listeningPort(in: log, node: name)!, name: name, database: database, tls: tls)
    }

    /// The port in a line like "Node s1 listening on [IPv4]127.0.0.1/127.0.0.1:7001".
    static func listeningPort(in log: String, node: String) -> Int? {
        for line in log.split(separator: "\n") {
            guard let range = line.range(of: "Node \(node) listening on ") else { continue }
            let address = line[range.upperBound...].split(separator: " ").first ?? ""
            if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) {
                return port
            }
        }
        return nil
    }

    var log: String { process.stderr }

    /// Lines of the log containing every one of `fragments`.
    func logLines(containing fragments: String...) -> [String] {
        log.split(separator: "\n").map(String.init).filter { line in fragments.allSatisfy(line.contains) }
    }

    /// Waits until the log has more than `count` lines containing all of `fragments` (by default: until one appears).
    func waitForLog(
        _ fragments: [String],
        moreThan count: Int = 0,
        timeout: Duration = patience
    ) async throws {
        try await process.waitForStderr(timeout: timeout, "it logged \(fragments)") { log in
            log.split(separator: "\n").filter { line in fragments.allSatisfy(line.contains) }.count > count
        }
    }

    /// Sends `signal` and waits for the process to end.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = patience) async throws -> ProcessResult {
        process.signal(signal)
        return try await process.waitForExit(timeout: timeout)
    }

    /// SIGKILL: no chance to flush or clean up.
    func kill9() async {
        await process.kill9()
    }
}

/// A port nothing listens on right now: bound to port 0, read, closed. (Another process could take it in between;
/// for a "server not running" test on loopback that is good enough.)
func unusedLoopbackPort() throws -> Int {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw ProcessTestError("socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw ProcessTestError("bind() failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw ProcessTestError("getsockname() failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A user of the scriptable client: a home directory (their "machine"), a password and the server to talk to.
struct CLIUser: Sendable {
    var name: String
    var password: String
    var home: String
    var connect: String
    var scratch: URL
    /// The cluster CA the client trusts (`FASTCHAT_CA`).
    var caFile: String
    /// Seconds a node has to answer before it counts as unreachable (`FASTCHAT_ANSWER_TIMEOUT`): long, so that a
    /// busy machine never makes a live node look dead, except in the tests about dead nodes.
    var answerTimeout = "120"

    init(_ name: String, password: String = "correct horse \(UUID().uuidString.prefix(4))", server: ServerProcess, scratch: Scratch) {
        self.name = name
        self.password = password
        self.home = scratch.url.appendingPathComponent("home-\(name)-\(UUID().uuidString.prefix(4))").path
        self.connect = server.address
        self.scratch = scratch.url
        caFile = server.tls.caFile
    }

    /// `fastchat COMMAND --connect … --user NAME ARGUMENTS` with `FASTCHAT_PASSWORD` and `FASTCHAT_HOME` set.
    func run(
        _ command: String,
        _ arguments: [String] = [],
        password: String? = nil,
        timeout: Duration = patience
    ) async throws -> ProcessResult {
        try await FastChatCLI.run(
            [command, "--connect", connect, "--user", name] + arguments,
            environment: environment(password: password),
            in: scratch,
            timeout: timeout
        )
    }

    /// The same command started in the background.
    func start(_ command: String, _ arguments: [String] = [], password: String? = nil) throws -> ChildProcess {
        try FastChatCLI.start(
            [command, "--connect", connect, "--user", name] + arguments,
            environment: environment(password: password),
            in: scratch
        )
    }

    /// The cheapest scrypt the client allows, for new accounts and as its floor (`FASTCHAT_KDF_LOG2N`).
    func environment(password: String? = nil) -> [String: String] {
        [
            "FASTCHAT_PASSWORD": password ?? self.password, "FASTCHAT_HOME": home, "FASTCHAT_KDF_LOG2N": "10",
            "FASTCHAT_CA": caFile, "FASTCHAT_ANSWER_TIMEOUT": answerTimeout,
        ]
    }

    /// `fastchat signup` with a cheap scrypt cost (`--kdf-log2n 10`).
    func signUp() async throws -> ProcessResult {
        try await run("signup", ["--kdf-log2n", "10"])
    }

    func send(_ text: String, to peer: String) async throws -> ProcessResult {
        try await run("send", ["--to", peer, text])
    }

    func receive(_ arguments: [String] = ["--json"]) async throws -> ProcessResult {
        try await run("receive", arguments)
    }
}
