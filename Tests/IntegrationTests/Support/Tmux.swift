import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program running on a real pseudo-terminal inside a detached tmux session: typed into with `send-keys`, read
/// with `capture-pane`. Each pane gets its own tmux server (`-L`), so tests never touch a person's tmux.
final class TmuxPane {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Printed by the wrapper shell when the program ends, so the exit status can be read off the screen.
    static let exitMarker = "[program exited with status "

    private let tmux: String
    private let socket = "fastchat-test-\(UUID().uuidString.prefix(8))"
    private let target = "pane"

    /// Starts `command` with exactly `environment` (plus TERM) in a `width`×`height` terminal.
    init(command: [String], environment: [String: String], width: Int = 160, height: Int = 60) throws {
        tmux = try Self.locateTmux()
        let variables = environment.map { "\($0.key)=\($0.value)" }.sorted()
        let program = (["env", "-i", "TERM=xterm-256color", "LANG=C.UTF-8"] + variables + command).map(Self.shellQuoted)
        // The shell stays behind after the program ends so its last screen (and status) can still be captured.
        let script = program.joined(separator: " ") + "; echo \"\(Self.exitMarker)$?]\"; exec sleep 3600"
        try run([
            "new-session", "-d", "-s", target, "-x", "\(width)", "-y", "\(height)", "/bin/sh", "-c", script,
        ])
    }

    /// Types `text` literally (no key names), then Enter.
    func type(_ text: String) throws {
        try run(["send-keys", "-t", target, "-l", text])
        try run(["send-keys", "-t", target, "Enter"])
    }

    /// Sends tmux key names such as `C-d` or `C-c`.
    func press(_ key: String) throws {
        try run(["send-keys", "-t", target, key])
    }

    /// The whole pane, scroll-back included, without colours; wrapped lines joined.
    func contents() throws -> String {
        try run(["capture-pane", "-p", "-J", "-t", target, "-S", "-"])
    }

    /// Polls the pane until `text` appears `count` times or the deadline passes; returns the pane.
    @discardableResult
    func waitFor(
        _ text: String,
        count: Int = 1,
        timeout: Duration = patience,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let screen = try contents()
            if screen.components(separatedBy: text).count - 1 >= count { return screen }
            if ContinuousClock.now >= deadline {
                XCTFail("Timed out waiting for \(text.debugDescription) (×\(count)). The pane shows:\n\(screen)", file: file, line: line)
                throw Failure(description: "timed out waiting for \(text.debugDescription)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits for the program to end and returns its exit status.
    func waitForExit(timeout: Duration = patience, file: StaticString = #filePath, line: UInt = #line) async throws -> Int {
        let screen = try await waitFor(Self.exitMarker, timeout: timeout, file: file, line: line)
        let tail = screen.components(separatedBy: Self.exitMarker).last ?? ""
        guard let status = Int(tail.prefix { $0.isNumber }) else {
            throw Failure(description: "unreadable exit status in: \(tail)")
        }
        return status
    }

    /// Ends the program (SIGHUP) and the tmux server. kill-session, because this tmux (3.3a) was seen to
    /// acknowledge kill-server and keep running; the server exits by itself once its last session is gone.
    func kill() {
        _ = try? run(["kill-session", "-t", target])
        _ = try? run(["kill-server"])
    }

    /// Runs one tmux command and returns what it printed.
    ///
    /// posix_spawn + waitpid rather than Foundation's Process: `new-session` forks the tmux server and exits at
    /// once, and Process.waitUntilExit was seen to wait forever on that already-exited client (left a zombie).
    @discardableResult
    private func run(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        // -u: the pane's ✓ and → come back as UTF-8 whatever the test's locale.
        let argv = [tmux, "-u", "-L", socket, "-f", "/dev/null"] + arguments
        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        #else
        var actions: posix_spawn_file_actions_t? = nil
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // A file, not a pipe: the server forked by new-session inherits it and would hold a pipe open forever.
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, tmux, &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw Failure(description: "could not start tmux: \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        // WIFEXITED and WEXITSTATUS are macros Swift does not import.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw Failure(description: "tmux \(arguments.joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }

    private static func locateTmux() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"] {
            let candidate = "\(directory)/tmux"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(
            description: "tmux is required by the interactive-client tests but is not installed "
                + "(install it: apt-get install tmux / brew install tmux)."
        )
    }

    private static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
