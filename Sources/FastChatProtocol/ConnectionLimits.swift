import NIOCore

/// How many connections a node or balancer serves at once, in all and from one address. Limits a person never
/// meets; they stop one peer (or a crowd of silent sockets) from taking every file descriptor.
public struct ConnectionLimits: Sendable, Hashable {
    public var total: Int
    public var perAddress: Int

    public init(total: Int = 10_000, perAddress: Int = 1_000) {
        self.total = total
        self.perAddress = perAddress
    }
}

/// The connections being served, in all and per peer address, against the limits.
public actor ConnectionCounts {
    private let limits: ConnectionLimits
    private var total = 0
    private var perAddress: [String: Int] = [:]

    public init(_ limits: ConnectionLimits) {
        self.limits = limits
    }

    /// Counts the connection in, or says why it is refused: a full server is unavailable (try another), an address
    /// over its share is limited (the connection's owner pays).
    public func admit(_ address: String) -> ProtocolError? {
        guard total < limits.total else {
            return ProtocolError(.unavailable, "This server is at its limit of \(limits.total) connections; try again later.")
        }
        let fromAddress = perAddress[address, default: 0]
        guard fromAddress < limits.perAddress else {
            return ProtocolError(
                .rateLimited, "Too many connections from your address (at most \(limits.perAddress) at once); close some first.",
                retryAfterSeconds: 10)
        }
        total += 1
        perAddress[address] = fromAddress + 1
        return nil
    }

    /// The connections counted in now.
    public var counted: Int { total }

    public func release(_ address: String) {
        total -= 1
        let left = perAddress[address, default: 1] - 1
        perAddress[address] = left > 0 ? left : nil
    }
}

extension Channel {
    /// The peer's IP address without the port ("?" when unknown), which connection limits count by.
    public var peerHost: String {
        remoteAddress?.ipAddress ?? "?"
    }
}
