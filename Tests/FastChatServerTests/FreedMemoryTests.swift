import FastChatServer
import Foundation
import Testing

#if canImport(Glibc)
import Glibc

/// The trim threshold a node sets: memory freed and taken again on one thread costs no page faults once it is kept.
@Suite struct FreedMemoryTests {
    @Test func keptFreedMemoryIsReusedWithoutPageFaults() throws {
        #expect(FreedMemory.keep(upTo: FreedMemory.keptPerHeap), "glibc takes the setting")
        // Without it, a round's 64 blocks are faulted in again whenever the heap's top was given back (how often
        // depends on what else the heap holds, so only the kept case is asserted): 128 pages a round.
        let faults = try pageFaults(whileChurning: 512 << 10)
        #expect(faults < 64, "20 rounds of 512 KiB freed and taken again faulted \(faults) pages")
    }

    /// This thread's minor page faults while it allocates `bytes` in 8 KiB blocks, touches and frees them, 21 times
    /// (the first round, which may grow the heap, not counted).
    private func pageFaults(whileChurning bytes: Int) throws -> Int {
        func round() {
            let blocks = (0..<(bytes / 8192)).map { _ in malloc(8192)! }
            for block in blocks { memset(block, 1, 8192) }
            for block in blocks.reversed() { free(block) }
        }
        round()
        let before = try minorFaults()
        for _ in 0..<20 { round() }
        return try minorFaults() - before
    }

    private func minorFaults() throws -> Int {
        let stat = try String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8)
        // The fields after the command name, which is in parentheses and may contain spaces: minflt is the 10th field.
        let fields = try #require(stat.split(separator: ")").last).split(separator: " ")
        return try #require(Int(fields[7]))
    }
}
#endif
