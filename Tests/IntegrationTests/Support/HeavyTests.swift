import Testing

/// How long a test waits for one thing that must happen (a log line, an output line, an exit, a message). It only
/// bounds a hang: it is never a measure of speed, so it is far longer than any step takes even on a loaded 2-core CI
/// machine (where a step that takes 1 s alone was seen to take 40).
let patience: Duration = .seconds(180)

extension Trait where Self == HeavyTrait {
    /// For suites and tests that run clusters of processes, stop and start PostgreSQL, or hash hundreds of
    /// passwords: one of them runs at a time, so each gets the machine to itself apart from the light tests, and the
    /// duration of a run stays stable however busy the machine is. Put it on a suite (with `.serialized`, so its
    /// tests also run one after another) or on a single test.
    static var heavy: Self { HeavyTrait() }
}

struct HeavyTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { false }

    /// The turn is taken once for a whole suite or test function (all its arguments), never per test case: Swift
    /// Testing's time limit is per test case and starts before its scopes, so waiting for a turn there would count as
    /// running.
    func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? self : nil
    }

    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        // A heavy test inside a heavy suite already has the turn.
        if HeavyTurns.held {
            try await function()
            return
        }
        await HeavyTurns.shared.acquire()
        do {
            try await HeavyTurns.$held.withValue(true) { try await function() }
        } catch {
            await HeavyTurns.shared.release()
            throw error
        }
        await HeavyTurns.shared.release()
    }
}

/// One turn at a time, handed out first come, first served.
actor HeavyTurns {
    static let shared = HeavyTurns()
    @TaskLocal static var held = false

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            // The turn passes straight to the next in line; `busy` stays true.
            waiting.removeFirst().resume()
        }
    }
}
