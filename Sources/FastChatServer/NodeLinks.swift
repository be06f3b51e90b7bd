import FastChatProtocol
import FastChatStore
import Logging
import NIOSSL

/// This node's links to every other live node, kept in step with the registry.
actor NodeLinks {
    private let localName: String
    /// Presents this node's certificate and checks the peer's; nil on a `--no-tls` cluster.
    private let tls: NIOSSLContext?
    private let logger: Logger
    private var links: [String: NodeLink] = [:]
    private var dialing: Set<String> = []
    /// Peers whose last dial failed: the failure is logged once, not on every heartbeat.
    private var unreachable: Set<String> = []

    init(localName: String, tls: NIOSSLContext?, logger: Logger) {
        self.localName = localName
        self.tls = tls
        self.logger = logger
    }

    /// Dials live nodes it has no link to and drops links to nodes that are gone.
    func update(liveNodes: [NodeRecord]) async {
        let names = Set(liveNodes.map(\.name))
        for (name, link) in links where !names.contains(name) {
            link.close()
            links[name] = nil
        }
        for node in liveNodes where node.name != localName {
            await dial(node)
        }
    }

    private func dial(_ node: NodeRecord) async {
        guard links[node.name] == nil, !dialing.contains(node.name) else { return }
        dialing.insert(node.name)
        defer { dialing.remove(node.name) }
        let name = node.name
        do {
            let link = try await NodeLink.connect(
                to: node.address, peer: name, localName: localName, tls: tls, logger: logger
            ) { [weak self] in
                await self?.dropped(name)
            }
            links[name] = link
            unreachable.remove(name)
            logger.info("Linked to node \(name) at \(node.address)")
        } catch {
            if unreachable.insert(name).inserted {
                logger.warning("Cannot link to node \(name) at \(node.address)", metadata: ["error": "\(error)"])
            }
        }
    }

    private func dropped(_ name: String) {
        links[name] = nil
    }

    /// Sends over the link to `node`, dialing it first if this node has not linked to it yet (it may have just
    /// started). False when it cannot be reached: the entry then waits in the mailbox for the next sign-in.
    @discardableResult
    func forward(_ forward: Fastchat_V1_Forward, to node: String, store: any ChatStore) async -> Bool {
        if links[node] == nil, let record = try? await store.nodes().first(where: { $0.name == node }) {
            await dial(record)
        }
        guard let link = links[node] else { return false }
        link.send(Frame(.forward(forward)))
        return true
    }

    func closeAll() {
        for link in links.values { link.close() }
        links = [:]
    }
}
