import FastChatClient
import Foundation
import Testing

/// Stopping a node (cancelling its serving task) while clients are connecting. Every connection the node accepted
/// must be closed, and none may be dropped unserved: NIO traps on a dropped `NIOAsyncChannel`, which would take the
/// whole process down (apple/swift-nio#2637; it crashed CI once, and this test crashed a third of its runs before
/// accepted connections were handed over as plain channels).
@Suite(.timeLimit(.minutes(10))) struct NodeShutdownTests {
    @Test func stoppingANodeDuringAConnectionBurstClosesEveryConnection() async throws {
        for _ in 0..<3 {
            try await withNode { node in
                let endpoint = node.endpoint
                let tls = node.clientTLS
                let outcomes = await withTaskGroup(of: Bool?.self) { group in
                    for _ in 0..<64 {
                        group.addTask {
                            // nil: refused (the node was already gone); else whether the server closed it.
                            guard let connection = try? await RawConnection.open(endpoint, tls: tls) else { return nil }
                            return (try? await connection.exchange([]))?.closed ?? true
                        }
                    }
                    await node.stop()
                    var outcomes: [Bool?] = []
                    for await outcome in group { outcomes.append(outcome) }
                    return outcomes
                }
                #expect(outcomes.count == 64)
                #expect(outcomes.allSatisfy { $0 != false }, "every accepted connection was closed by the stopping node")
            }
        }
    }
}
