import FastChatStore
import Foundation
import Logging

/// One registered node as the balancer sees it.
public struct NodeView: Sendable, Hashable {
    public var record: NodeRecord
    /// Its last heartbeat is no older than the balancer's `deadAfter`.
    public var alive: Bool

    public init(record: NodeRecord, alive: Bool) {
        self.record = record
        self.alive = alive
    }
}

/// The registry as last read from the store, and the placement state: how many clients this balancer has placed,
/// and where it sent them since each node's last heartbeat.
///
/// Liveness is decided at each placement, comparing the store's heartbeat times with `now`, so a node that stops
/// heartbeating is skipped `deadAfter` later even if the store cannot be read meanwhile.
public actor NodeTable {
    public nonisolated let strategy: any BalancingStrategy
    private let store: any ChatStore
    private let deadAfter: TimeInterval
    private let logger: Logger
    private let now: @Sendable () -> Date
    private var random: AnyRandomNumberGenerator
    /// Sorted by name, as the store returns them.
    private var records: [NodeRecord] = []
    /// When this balancer sent clients to each node, since that node's last heartbeat (which may not count them
    /// yet; one in the heartbeat's own millisecond is counted again rather than missed).
    private var sentSinceHeartbeat: [String: [Date]] = [:]
    private var placed = 0
    /// Nodes found unreachable before their heartbeat expired (a client's report confirmed by a failed probe), with
    /// the heartbeat they had then: they get no clients until it moves on.
    private var down: [String: Date] = [:]
    /// Reads of the registry are numbered as they start: a slow read that finishes after a later one (the periodic
    /// refresh racing one asked for) must not replace the newer table with its older snapshot.
    private var readsStarted = 0
    private var newestApplied = 0

    /// `random` and `now` are for tests: a seeded generator and a fixed clock make placements deterministic.
    public init(
        store: any ChatStore,
        strategy: any BalancingStrategy,
        deadAfter: Duration,
        logger: Logger,
        random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.strategy = strategy
        self.deadAfter = deadAfter.timeInterval
        self.logger = logger
        self.random = AnyRandomNumberGenerator(base: random)
        self.now = now
    }

    /// Reads the registry from the store.
    public func refresh() async throws {
        readsStarted += 1
        let read = readsStarted
        let records = try await store.nodes()
        guard read > newestApplied else { return }
        newestApplied = read
        self.records = records
        // Placements the nodes' heartbeats now count, and those of nodes no longer registered, are dropped.
        let heartbeats = Dictionary(records.map { ($0.name, $0.heartbeatAt) }, uniquingKeysWith: max)
        var kept: [String: [Date]] = [:]
        for (name, sent) in sentSinceHeartbeat {
            guard let heartbeat = heartbeats[name] else { continue }
            let newer = sent.filter { $0 >= heartbeat }
            if !newer.isEmpty { kept[name] = newer }
        }
        sentSinceHeartbeat = kept
        down = down.filter { heartbeats[$0.key] == $0.value }
    }

    /// Refreshes every `interval` until the task is cancelled. A failed read is logged and the last table kept:
    /// its heartbeats keep ageing, so while the store stays unreachable every node soon counts as dead.
    public func refresh(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await refresh()
            } catch {
                logger.warning("Cannot read the node registry", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Picks the node for the next client by the strategy and counts the client against it. Nil when no node is
    /// alive and not draining.
    public func place() -> NodeRecord? {
        let now = now()
        let live = records.filter { isAlive($0, at: now) && !$0.draining }
        guard !live.isEmpty else { return nil }
        let candidates = live.map { Candidate(name: $0.name, load: load(of: $0)) }
        let index = strategy.pick(from: candidates, placed: placed, random: &random)
        let chosen = live[candidates.indices.contains(index) ? index : 0]
        placed += 1
        sentSinceHeartbeat[chosen.name, default: []].append(now)
        return chosen
    }

    /// Every registered node, sorted by name, with whether it is alive now.
    public func view() -> [NodeView] {
        let now = now()
        return records.map { NodeView(record: $0, alive: isAlive($0, at: now)) }
    }

    /// The registered node `name`, if it counts as alive now (so whether it answers is worth checking).
    public func liveNode(named name: String) -> NodeRecord? {
        let now = now()
        return records.first { $0.name == name && isAlive($0, at: now) }
    }

    /// Sends no client to `name` until its heartbeat moves on (a frozen or killed node's never does).
    public func markDown(_ name: String) {
        guard let record = records.first(where: { $0.name == name }) else { return }
        down[name] = record.heartbeatAt
    }

    private func isAlive(_ node: NodeRecord, at now: Date) -> Bool {
        now.timeIntervalSince(node.heartbeatAt) <= deadAfter && down[node.name] != node.heartbeatAt
    }

    private func load(of node: NodeRecord) -> Int {
        node.connections + (sentSinceHeartbeat[node.name]?.count { $0 >= node.heartbeatAt } ?? 0)
    }
}

/// Lets the table hold whichever generator it was given and still pass it on as a concrete one.
private struct AnyRandomNumberGenerator: RandomNumberGenerator, Sendable {
    var base: any RandomNumberGenerator & Sendable

    mutating func next() -> UInt64 {
        base.next()
    }
}
