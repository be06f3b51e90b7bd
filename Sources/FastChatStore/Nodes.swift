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
    /// Asked to drain (`fastchat drain`, or its own SIGTERM): balancers send it no new clients, and it moves the
    /// ones it has to other nodes before it stops. A (re)registration clears it.
    public var draining: Bool

    public init(
        name: String, address: String, pid: Int, connections: Int, startedAt: Date, heartbeatAt: Date,
        draining: Bool = false
    ) {
        self.name = name
        self.address = address
        self.pid = pid
        self.connections = connections
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.draining = draining
    }
}
