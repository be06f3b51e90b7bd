import Foundation
import Testing

/// A node frozen (SIGSTOP) longer than `--dead-after` is reaped by the other: its users' sessions are cleared, so
/// what is sent to them meanwhile is only stored. When it resumes it registers again and must replay those entries
/// to its still-connected users, before anything newer, or they would see them only at their next sign-in.
@Suite(.heavy, .timeLimit(.minutes(10))) struct FrozenNodeTests {
    @Test func aRecipientWhoseNodeWasTakenForDeadGetsEverythingLiveInOrder() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let database = "sqlite:" + scratch.file("fastchat.db")
        let quickToReap = ["--dead-after", "2"]
        let s1 = try await ServerProcess.start(database: database, name: "s1", extraArguments: quickToReap, in: scratch.url)
        defer {
            s1.process.signal(SIGCONT)
            s1.process.signal(SIGKILL)
        }
        let s2 = try await ServerProcess.start(database: database, name: "s2", extraArguments: quickToReap, in: scratch.url)
        defer { s2.process.signal(SIGKILL) }
        let rx = CLIUser("rx", server: s1, scratch: scratch)
        let tx = CLIUser("tx", server: s2, scratch: scratch)
        for user in [rx, tx] {
            let result = try await user.signUp()
            #expect(result.exitCode == 0, "\(result)")
        }

        let waiter = try rx.start("receive", ["--json", "--wait", "3600", "--count", "4"])
        defer { waiter.signal(SIGKILL) }
        try await s1.waitForLog(["Signed in", "rx"])
        let reapedBefore = s2.logLines(containing: "Nodes stopped heartbeating").count
        s1.process.signal(SIGSTOP)
        try await s2.waitForLog(["Nodes stopped heartbeating"], moreThan: reapedBefore)
        for index in 1...3 {
            let result = try await tx.send("while frozen \(index)", to: "rx")
            #expect(result.exitCode == 0, "\(result)")
        }

        let returnedBefore = s1.logLines(containing: "taken for dead").count
        s1.process.signal(SIGCONT)
        try await s1.waitForLog(["taken for dead"], moreThan: returnedBefore)
        let later = try await tx.send("after resuming", to: "rx")
        #expect(later.exitCode == 0, "\(later)")

        let result = try await waiter.waitForExit()
        #expect(result.exitCode == 0, "\(result)")
        let texts = try messages(in: result).map(\.text)
        #expect(texts == ["while frozen 1", "while frozen 2", "while frozen 3", "after resuming"], "\(result)\n\(s1.log)")
    }
}
