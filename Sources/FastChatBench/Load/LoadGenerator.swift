import FastChatClient
import FastChatCrypto
import FastChatProtocol
import FastChatTLS
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Simulated clients driving a cluster: they sign up and in through the balancer (so they land where the strategy
/// puts them), pair off (client i writes to client i + M/2, wherever each landed) or form groups, and then send
/// open-loop at a constant rate, measuring every delivery.
public actor LoadGenerator {
    public struct Plan: Sendable {
        public var clients: Int
        /// 0: one-to-one messages only.
        public var groupSize: Int
        /// Seal and open every message for real instead of re-sending pre-sealed envelopes.
        public var crypto: Bool
        /// Event-loop threads for the clients.
        public var threads: Int
        /// Simultaneous sign-ups while connecting.
        public var setupConcurrency: Int = 32
        /// `--slow-readers`: this many more users who stop reading once signed in; client i sends to reader
        /// i mod N, and two more users write to each other so other users' latency is measured meanwhile.
        public var slowReaders: Int

        public init(clients: Int, groupSize: Int = 0, crypto: Bool = false, threads: Int = 1, slowReaders: Int = 0) {
            self.clients = clients
            self.groupSize = groupSize
            self.crypto = crypto
            self.threads = threads
            self.slowReaders = slowReaders
        }

        /// Every simulated user: the clients, and with slow readers the timed pair and the readers.
        public var users: Int { clients + (slowReaders > 0 ? 2 + slowReaders : 0) }
        /// Index of the first slow reader (after the clients and the timed pair).
        var firstReader: Int { clients + 2 }
    }

    /// A slow reader's receive buffer: small, so what it does not read piles up in the node rather than in the
    /// reader's kernel.
    static let slowReaderReceiveBuffer = 4096

    let endpoint: Endpoint
    let tls: ClientTLS?
    let plan: Plan
    let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let prefix = "b\(UInt32.random(in: 0...UInt32.max))u"
    private(set) var loads: [NIOLoopBound<LoopLoad>] = []
    var channels: [BenchChannel] = []
    /// Users (by index) being moved, and those whose new connection heard `Move` in turn meanwhile: one user's moves
    /// run one after the other (`LoadGenerator+Moves`).
    var movesUnderWay: Set<Int> = []
    var movesAgain: Set<Int> = []
    private(set) var users: [BenchUser] = []
    public private(set) var connectionsPerNode: [String: Int] = [:]
    private var closed = false

    public init(endpoint: Endpoint, tls: ClientTLS?, plan: Plan, logger: Logger) {
        self.endpoint = endpoint
        self.tls = tls
        self.plan = plan
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, plan.threads))
    }

    /// Creates the accounts, connects and signs every client in, sets up groups and seals what will be sent.
    /// `progress` gets the number of clients signed in so far.
    public func prepare(progress: @Sendable (Int) -> Void = { _ in }) async throws {
        guard plan.clients >= 2 else { throw ProtocolError(.badRequest, "The benchmark needs at least 2 clients.") }
        users = try await makeUsers()
        let directory = plan.crypto ? users.map(\.identity.publicIdentity) : nil
        var made: [NIOLoopBound<LoopLoad>] = []
        for loop in group.makeIterator() {
            made.append(try await loop.submit { NIOLoopBound(LoopLoad(eventLoop: loop, directory: directory), eventLoop: loop) }.get())
        }
        loads = made
        let loads = made

        let users = self.users
        var opened = [(BenchChannel, String)?](repeating: nil, count: users.count)
        let firstReader = plan.slowReaders > 0 ? plan.firstReader : users.count
        try await forEach(Array(users.indices), concurrency: plan.setupConcurrency) { [endpoint, tls] index in
            let user = users[index]
            let load = loads[index % loads.count]
            let reader = index >= firstReader
            let (channel, node) = try await BenchChannel.open(
                to: endpoint, tls: tls, load: load, receiveBuffer: reader ? Self.slowReaderReceiveBuffer : nil)
            try await user.signUpAndIn(on: channel)
            // From here on the reader's socket is not read at all: what the node sends fills its buffers.
            if reader { try await channel.channel.setOption(.autoRead, value: false).get() }
            return (index, (channel, node))
        } collect: { index, value in
            opened[index] = value
            progress(opened.lazy.compactMap { $0 }.count)
        }
        channels = opened.map { $0!.0 }
        connectionsPerNode = Dictionary(opened.map { ($0!.1, 1) }, uniquingKeysWith: +)
        if plan.groupSize > 0 { try await formGroups() }
        try await arm()
    }

    private func makeUsers() async throws -> [BenchUser] {
        let prefix = self.prefix
        var made = [BenchUser?](repeating: nil, count: plan.users)
        try await forEach(Array(0..<plan.users), concurrency: ProcessInfo.processInfo.activeProcessorCount) { index in
            (index, try BenchUser(index: UInt32(index), prefix: prefix, kdf: .fast))
        } collect: { index, user in
            made[index] = user
        }
        return made.map { $0! }
    }

    /// Groups of `groupSize` consecutive clients (the last one smaller when they do not divide evenly), each
    /// created by its first member with the others joining.
    private var groups: [Range<Int>] {
        stride(from: 0, to: users.count, by: plan.groupSize).map { $0..<min($0 + plan.groupSize, users.count) }
    }

    private nonisolated func groupName(_ range: Range<Int>) -> String { "\(prefix)g\(range.lowerBound)" }

    private func formGroups() async throws {
        let kdf = KDFParameters.fast
        let channels = self.channels
        let users = self.users
        try await forEach(groups, concurrency: plan.setupConcurrency) { range in
            let name = self.groupName(range)
            let loginKey = try GroupPassword.derive(password: BenchUser.password, group: name, parameters: kdf).loginKey
            let creator = range.lowerBound
            let challenge = try await channels[creator].challenge(.getChallenge(.init()))
            let signature = try channels[creator].sign(
                .createGroup, subject: name, actor: users[creator].username, by: loginKey, challenge: challenge)
            _ = try await channels[creator].request(.createGroup(.with {
                $0.name = name; $0.loginKey = loginKey.publicKey; $0.signature = signature; $0.kdf = WireKDFParams(kdf)
            }))
            for member in range.dropFirst() {
                let challenge = try await channels[member].challenge(.getGroupAuthParams(.with { $0.name = name }))
                let signature = try channels[member].sign(
                    .joinGroup, subject: name, actor: users[member].username, by: loginKey, challenge: challenge)
                _ = try await channels[member].request(.joinGroup(.with { $0.name = name; $0.signature = signature }))
            }
            return (range.lowerBound, ())
        } collect: { _, _ in }
    }

    /// Gives every connection its user and what it sends, and puts it on its loop's schedule.
    private func arm() async throws {
        let count = users.count
        var targets: [MessageTarget] = []
        if plan.groupSize > 0 {
            for range in groups {
                for member in range {
                    let recipients = range.filter { $0 != member }.map { (users[$0].username, users[$0].identity.publicIdentity) }
                    targets.append(.group(name: groupName(range), recipients: recipients))
                }
            }
        } else if plan.slowReaders > 0 {
            // Client i writes to reader i mod N; the timed pair to each other.
            targets = (0..<plan.clients).map { (plan.firstReader + $0 % plan.slowReaders) }
                .map { .direct(recipient: users[$0].username, key: users[$0].identity.publicIdentity) }
            for partner in [plan.clients + 1, plan.clients] {
                targets.append(.direct(recipient: users[partner].username, key: users[partner].identity.publicIdentity))
            }
        } else {
            targets = (0..<count).map { index in
                let partner = users[(index + count / 2) % count]
                return .direct(recipient: partner.username, key: partner.identity.publicIdentity)
            }
        }
        for (index, channel) in channels.enumerated() {
            let user = users[index]
            if index >= targets.count {
                let load = loads[index % loads.count]
                try await channel.onLoop { connection in
                    connection.user = user
                    connection.timed = false
                    load.value.addReader(connection)
                }
                continue
            }
            let outgoing = try OutgoingMessages(target: targets[index], from: user, sealEach: plan.crypto)
            let load = loads[index % loads.count]
            try await channel.onLoop { connection in
                connection.user = user
                connection.outgoing = outgoing
                load.value.add(connection)
            }
        }
    }

    /// Runs `work` for each item with at most `concurrency` at once; `collect` sees each result on this actor.
    func forEach<Item: Sendable, Value: Sendable>(
        _ items: [Item], concurrency: Int,
        _ work: @escaping @Sendable (Item) async throws -> (Int, Value),
        collect: (Int, Value) -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: (Int, Value).self) { tasks in
            var next = 0
            for _ in 0..<min(concurrency, items.count) {
                let item = items[next]
                tasks.addTask { try await work(item) }
                next += 1
            }
            while let (index, value) = try await tasks.next() {
                collect(index, value)
                if next < items.count {
                    let item = items[next]
                    tasks.addTask { try await work(item) }
                    next += 1
                }
            }
        }
    }

    /// Idempotent.
    public func close() async {
        guard !closed else { return }
        closed = true
        for load in loads {
            try? await load.eventLoop.submit { load.value.stop() }.get()
        }
        for channel in channels { try? await channel.channel.close() }
        try? await group.shutdownGracefully()
    }
}
