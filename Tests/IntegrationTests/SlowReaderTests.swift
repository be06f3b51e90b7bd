import FastChatClient
import FastChatProtocol
import Foundation
import Testing

/// A recipient that stops reading (its process is stopped) while messages keep coming: the node queues no more than
/// its outbound high-water mark for it (by the node's own count), leaves the rest in the mailbox, and pushes
/// everything, once and in order, when the reader resumes.
@Suite(.heavy, .timeLimit(.minutes(10))) struct SlowReaderTests {
    @Test func aReaderThatNeverReadsCostsTheNodeNoMoreThanItsMarkAndGetsEverythingOnceItReads() async throws {
        let highWater = 256 << 10
        try await withNode(configure: {
            $0.outboundHighWater = highWater
            $0.outboundLowWater = 64 << 10
            $0.stuckOutboundTimeout = patience
        }) { node in
            let scratch = try Scratch()
            defer { scratch.remove() }
            let environment = [
                "FASTCHAT_PASSWORD": "reader pw", "FASTCHAT_HOME": scratch.file("home"), "FASTCHAT_KDF_LOG2N": "10",
                "FASTCHAT_CA": node.tls.caFile, "FASTCHAT_ANSWER_TIMEOUT": "120",
            ]
            let connect = ["--connect", "\(node.endpoint.host):\(node.endpoint.port)", "--user", "rx"]
            let signedUp = try await FastChatCLI.run(["signup"] + connect + ["--kdf-log2n", "10"], environment: environment, in: scratch.url)
            #expect(signedUp.exitCode == 0, "\(signedUp)")
            let count = 40
            let reader = try FastChatCLI.start(
                ["receive"] + connect + ["--json", "--wait", "3600", "--count", "\(count)"], environment: environment,
                in: scratch.url)
            defer {
                reader.signal(SIGCONT)
                reader.signal(SIGKILL)
            }
            _ = try await within(patience, "rx is signed in") {
                while !node.logTail.text.contains("Signed in") || !node.logTail.text.contains("rx") {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            reader.signal(SIGSTOP)

            let alice = try await node.user("alice")
            let large = String(repeating: "y", count: 400_000)
            var sent: [String] = []
            for index in 0..<count {
                let text = "\(index) " + large
                _ = try await alice.send(text, to: "rx")
                sent.append(text)
            }
            // About 16 MB sent; far less than that fits in the kernel's socket buffers.
            let bound = highWater + (256 << 10) + Wire.defaultMaxFrameBytes
            #expect(node.peakOutboundBytes <= bound, "the node queued \(node.peakOutboundBytes) bytes for one connection")

            reader.signal(SIGCONT)
            let result = try await reader.waitForExit()
            #expect(result.exitCode == 0, "\(result.stderr)")
            let texts = try messages(in: result).map(\.text)
            #expect(texts == sent, "every message once, in order (\(texts.count) of \(count))")
        }
    }
}
