import Foundation

/// One chat node in the registry (DESIGN §7): what balancers route to and what other nodes dial for node links.
/// A node registers when it starts and heartbeats every second; one whose heartbeat stops is dead.
public struct NodeRecord: Sendable, Hashable {
    /// Unique in a cluster; also the `node` of the sessions it holds.
    public var name: String
    /// "host:port" that clients and other nodes connect to.
    public var address: String
    public var pid: Int
    /// Client connections the node held at its last heartbeat.
    public var connections: Int
    public var startedAt: Date
    public var heartbeatAt: Date
    /// Messages the node accepted per second, averaged over the few seconds before its last heartbeat.
    public var messagesPerSecond: Double
    /// Mailbox entries the node had pushed to its signed-in users and not yet seen acknowledged, at its last
    /// heartbeat.
    public var mailboxPending: Int
    /// Asked to drain (`fastchat drain`, or its own SIGTERM): balancers send it no new clients, and it moves the
    /// ones it has to other nodes before it stops. A (re)registration clears it.
    public var draining: Bool

    public init(
        name: String, address: String, pid: Int, connections: Int, startedAt: Date, heartbeatAt: Date,
        messagesPerSecond: Double = 0, mailboxPending: Int = 0, draining: Bool = false
    ) {
        self.name = name
        self.address = address
        self.pid = pid
        self.connections = connections
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.draining = draining
        self.messagesPerSecond = messagesPerSecond
        self.mailboxPending = mailboxPending
    }

    /// Draining, and its last heartbeat counted no client: its peers close their links to it and forward it nothing
    /// more. It waits for those links to close before it stops, so nothing they sent is left unread.
    public var isLeaving: Bool { draining && connections == 0 }

    /// What the node reports with each heartbeat.
    public var load: NodeLoad {
        NodeLoad(connections: connections, messagesPerSecond: messagesPerSecond, mailboxPending: mailboxPending)
    }
}

/// The figures a node reports with each heartbeat (what `fastchat status` shows per node).
public struct NodeLoad: Sendable, Hashable {
    public var connections: Int
    public var messagesPerSecond: Double
    public var mailboxPending: Int

    public init(connections: Int, messagesPerSecond: Double = 0, mailboxPending: Int = 0) {
        self.connections = connections
        self.messagesPerSecond = messagesPerSecond
        self.mailboxPending = mailboxPending
    }
}
