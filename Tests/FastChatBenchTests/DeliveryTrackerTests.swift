import Testing
@testable import FastChatBench

@Suite struct DeliveryTrackerTests {
    private func verdicts(_ sequences: [UInt64], from sender: UInt32 = 1, into tracker: inout DeliveryTracker)
        -> [DeliveryTracker.Verdict]
    {
        sequences.map { tracker.received(sender: sender, sequence: $0) }
    }

    @Test func inOrderArrivalsAreAllNew() {
        var tracker = DeliveryTracker()
        #expect(verdicts([0, 1, 2, 3], into: &tracker) == [.new, .new, .new, .new])
        #expect(tracker.unique == 4)
        #expect(tracker.duplicates == 0)
        #expect(tracker.reordered == 0)
    }

    @Test func aRepeatIsADuplicate() {
        var tracker = DeliveryTracker()
        #expect(verdicts([0, 1, 1, 2, 0], into: &tracker) == [.new, .new, .duplicate, .new, .duplicate])
        #expect(tracker.unique == 3)
        #expect(tracker.duplicates == 2)
    }

    @Test func aLateArrivalIsReorderedAndItsRepeatADuplicate() {
        var tracker = DeliveryTracker(firstSequence: 1)
        #expect(verdicts([1, 3, 2, 2, 3], into: &tracker) == [.new, .new, .reordered, .duplicate, .duplicate])
        #expect(tracker.unique == 3)
        #expect(tracker.reordered == 1)
        #expect(tracker.duplicates == 2)
    }

    @Test func aLateFirstMessageIsReorderedNotADuplicate() {
        var tracker = DeliveryTracker(firstSequence: 1)
        #expect(verdicts([2, 1], into: &tracker) == [.new, .reordered])
    }

    @Test func sequencesBelowTheAgreedStartWidenTheWindow() {
        var tracker = DeliveryTracker(firstSequence: 5)
        #expect(verdicts([5, 6, 2, 4, 2, 3], into: &tracker) == [.new, .new, .reordered, .reordered, .duplicate, .reordered])
        #expect(tracker.unique == 5)
    }

    @Test func sendersAreTrackedSeparately() {
        var tracker = DeliveryTracker()
        #expect(tracker.received(sender: 1, sequence: 0) == .new)
        #expect(tracker.received(sender: 2, sequence: 0) == .new)
        #expect(tracker.received(sender: 2, sequence: 2) == .new)
        #expect(tracker.received(sender: 1, sequence: 1) == .new)
        #expect(tracker.received(sender: 2, sequence: 1) == .reordered)
        #expect(tracker.received(sender: 1, sequence: 0) == .duplicate)
        #expect(tracker.unique == 5)
        #expect(tracker.reordered == 1)
        #expect(tracker.duplicates == 1)
    }

    @Test func mergeAddsCountsOfRecipientsSharingASender() {
        var alice = DeliveryTracker()
        var bob = DeliveryTracker()
        _ = verdicts([0, 2, 1, 1], from: 7, into: &alice)
        _ = verdicts([0, 1, 1], from: 7, into: &bob)
        alice.merge(bob)
        #expect(alice.unique == 5)
        #expect(alice.reordered == 1)
        #expect(alice.duplicates == 2)
        // The merged tracker keeps its own streams: sender 7's sequence 0 to alice was already seen.
        #expect(alice.received(sender: 7, sequence: 0) == .duplicate)
    }

    @Test func lostIsSentMinusUniqueNeverNegative() {
        #expect(DeliveryTracker.lost(sent: 10, unique: 7) == 3)
        #expect(DeliveryTracker.lost(sent: 10, unique: 10) == 0)
        #expect(DeliveryTracker.lost(sent: 3, unique: 5) == 0)

        var tracker = DeliveryTracker()
        _ = verdicts([0, 2, 2], into: &tracker)
        let counts = tracker.counts(sent: 4)
        #expect(counts == DeliveryCounts(sent: 4, unique: 2, duplicates: 1, reordered: 0))
        #expect(counts.lost == 2)
    }
}
