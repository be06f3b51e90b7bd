import FastChatBalancer
import Testing

/// Each strategy as a pure function of the live nodes (sorted by name), their loads and the placements so far.
@Suite struct StrategyTests {
    static let three = ["s1", "s2", "s3"].map { Candidate(name: $0, load: 0) }

    /// The first `count` picks over `candidates` with unchanged loads.
    func picks(
        _ strategy: any BalancingStrategy, over candidates: [Candidate] = three, count: Int = 9, seed: UInt64 = 1
    ) -> [Int] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { strategy.pick(from: candidates, placed: $0, random: &random) }
    }

    @Test func contractNames() {
        #expect(StrategyName.allCases.map(\.rawValue) == [
            "single", "round-robin", "block", "random", "least-connections", "power-of-two",
        ])
        for name in StrategyName.allCases {
            #expect(name.makeStrategy().name == name)
        }
    }

    @Test func singleAlwaysPicksTheFirst() {
        #expect(picks(SingleStrategy()) == Array(repeating: 0, count: 9))
    }

    @Test func roundRobinTakesTurns() {
        #expect(picks(RoundRobinStrategy()) == [0, 1, 2, 0, 1, 2, 0, 1, 2])
    }

    @Test func blockSendsConsecutiveClientsToOneNode() {
        #expect(picks(BlockStrategy(blockSize: 3)) == [0, 0, 0, 1, 1, 1, 2, 2, 2])
        #expect(picks(BlockStrategy(blockSize: 2), count: 8) == [0, 0, 1, 1, 2, 2, 0, 0])
        #expect(picks(BlockStrategy(blockSize: 0), count: 4) == [0, 1, 2, 0], "a block is at least one client")
        #expect(picks(StrategyName.block.makeStrategy(blockSize: 4)) == [0, 0, 0, 0, 1, 1, 1, 1, 2])
    }

    @Test func randomUsesEveryNodeAndRepeatsForASeed() {
        let picks = picks(RandomStrategy(), count: 300, seed: 7)
        #expect(picks.allSatisfy { Self.three.indices.contains($0) })
        for index in Self.three.indices {
            #expect((50...150).contains(picks.count { $0 == index }))
        }
        #expect(picks == self.picks(RandomStrategy(), count: 300, seed: 7))
    }

    @Test func leastConnectionsPicksTheLeastLoadedFirstByName() {
        let strategy = LeastConnectionsStrategy()
        let loads = { (loads: [Int]) in zip(Self.three, loads).map { Candidate(name: $0.name, load: $1) } }
        #expect(picks(strategy, over: loads([5, 2, 3]), count: 3) == [1, 1, 1])
        #expect(picks(strategy, over: loads([4, 1, 1]), count: 1) == [1], "ties go to the first by name")
        #expect(picks(strategy, over: loads([0, 0, 0]), count: 1) == [0])
    }

    @Test func powerOfTwoNeverPicksTheMoreLoadedOfItsTwo() {
        let strategy = PowerOfTwoStrategy()
        let candidates = zip(Self.three, [10, 0, 20]).map { Candidate(name: $0.name, load: $1) }
        let picks = picks(strategy, over: candidates, count: 300, seed: 3)
        #expect(!picks.contains(2), "the most loaded node loses to whichever node it is drawn with")
        #expect(picks.contains(0), "the middle node wins when drawn with the most loaded one")
        #expect(picks.count { $0 == 1 } > picks.count { $0 == 0 })

        let two = [Candidate(name: "a", load: 7), Candidate(name: "b", load: 3)]
        #expect(self.picks(strategy, over: two, count: 50).allSatisfy { $0 == 1 }, "two nodes: always the lighter")
        #expect(self.picks(strategy, over: [Candidate(name: "a", load: 9)], count: 5) == [0, 0, 0, 0, 0])
    }

    @Test(arguments: StrategyName.allCases)
    func oneNodeGetsEverything(_ name: StrategyName) {
        let only = [Candidate(name: "s1", load: 3)]
        #expect(picks(name.makeStrategy(), over: only, count: 10) == Array(repeating: 0, count: 10))
    }
}
