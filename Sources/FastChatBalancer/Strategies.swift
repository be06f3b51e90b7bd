/// What a strategy knows about one live node.
public struct Candidate: Sendable, Hashable {
    public var name: String
    /// The connections the node reported at its last heartbeat plus the clients this balancer has sent it since:
    /// without the second part, a burst of clients arriving between two heartbeats would all go to one node.
    public var load: Int

    public init(name: String, load: Int) {
        self.name = name
        self.load = load
    }
}

/// Chooses the node for the next client. Strategies are pure: the choice depends only on the arguments, so a
/// seeded `random` makes every strategy deterministic.
public protocol BalancingStrategy: Sendable {
    var name: StrategyName { get }

    /// Returns an index into `candidates`: the live nodes, sorted by name, never empty. `placed` counts the clients
    /// this balancer has placed before this one.
    func pick(from candidates: [Candidate], placed: Int, random: inout some RandomNumberGenerator) -> Int
}

extension StrategyName {
    /// `blockSize` matters to `block` only; values below 1 count as 1.
    public func makeStrategy(blockSize: Int = 3) -> any BalancingStrategy {
        switch self {
        case .single: SingleStrategy()
        case .roundRobin: RoundRobinStrategy()
        case .block: BlockStrategy(blockSize: blockSize)
        case .random: RandomStrategy()
        case .leastConnections: LeastConnectionsStrategy()
        case .powerOfTwo: PowerOfTwoStrategy()
        }
    }
}

/// Everything to the first live node: the seed's baseline.
public struct SingleStrategy: BalancingStrategy {
    public var name: StrategyName { .single }

    public init() {}

    public func pick(from candidates: [Candidate], placed: Int, random: inout some RandomNumberGenerator) -> Int {
        0
    }
}

/// Each live node in turn.
public struct RoundRobinStrategy: BalancingStrategy {
    public var name: StrategyName { .roundRobin }

    public init() {}

    public func pick(from candidates: [Candidate], placed: Int, random: inout some RandomNumberGenerator) -> Int {
        placed % candidates.count
    }
}

/// `blockSize` consecutive clients to one node, then the next (the seed's "group" strategy).
public struct BlockStrategy: BalancingStrategy {
    public let blockSize: Int
    public var name: StrategyName { .block }

    public init(blockSize: Int) {
        self.blockSize = max(blockSize, 1)
    }

    public func pick(from candidates: [Candidate], placed: Int, random: inout some RandomNumberGenerator) -> Int {
        (placed / blockSize) % candidates.count
    }
}

/// A uniformly random live node.
public struct RandomStrategy: BalancingStrategy {
    public var name: StrategyName { .random }

    public init() {}

    public func pick(from candidates: [Candidate], placed: Int, random: inout some RandomNumberGenerator) -> Int {
        Int.random(in: 0..<candidates.count, using: &random)
    }
}

/// The least loaded live node; ties go to the first by name.
public struct LeastConnectionsStrategy: BalancingStrategy {
    public var name: StrategyName { .leastConnections }

    public init() {}

    public func pick(from candidates: [Candidate], placed: Int, random: inout some RandomNumberGenerator) -> Int {
        candidates.indices.min { candidates[$0].load < candidates[$1].load } ?? 0
    }
}

/// Two distinct random live nodes, the less loaded of them (the first drawn on a tie): nearly as even as
/// least-connections, without every balancer sending its burst to the same node.
public struct PowerOfTwoStrategy: BalancingStrategy {
    public var name: StrategyName { .powerOfTwo }

    public init() {}

    public func pick(from candidates: [Candidate], placed: Int, random: inout some RandomNumberGenerator) -> Int {
        guard candidates.count > 1 else { return 0 }
        let first = Int.random(in: 0..<candidates.count, using: &random)
        var second = Int.random(in: 0..<candidates.count - 1, using: &random)
        if second >= first { second += 1 }
        return candidates[second].load < candidates[first].load ? second : first
    }
}
