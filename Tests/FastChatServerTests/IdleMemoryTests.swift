@testable import FastChatServer
import Testing

/// What an idle connection keeps: small buffers that still take whatever a peer sends.
@Suite("Idle connection memory")
struct IdleMemoryTests {
    @Test("Remembered acknowledgements give their room back once the window has passed, and work the same after")
    func recentAcknowledgementsShrinkBack() {
        var recent = RecentAcknowledgements()
        #expect(recent.capacity == 1)
        let start = ContinuousClock.now
        for seq in Int64(1)...100 { recent.remember(seq, at: start) }
        #expect(recent.contains(1) && recent.contains(100))
        #expect(recent.capacity >= 100)

        let later = start + RecentAcknowledgements.window + .seconds(1)
        recent.forget(before: later - RecentAcknowledgements.window)
        #expect(!recent.contains(1) && !recent.contains(100))
        #expect(recent.capacity == 1)

        recent.remember(7, at: later)
        recent.remember(7, at: later)
        #expect(recent.contains(7) && !recent.contains(8))
        recent.forget(before: later)
        #expect(recent.contains(7), "not yet out of the window")
    }
}
