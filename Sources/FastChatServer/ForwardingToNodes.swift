import FastChatProtocol

extension NodeServices {
    /// Forwards `items` (entries, receipts) to the other nodes their users are signed in on, as far as that needs no
    /// wait: users the presence cache knows, nodes with a link now. Returns the rest: the store read for users it
    /// does not know, and for a node with no link a second try (a link may have been made since), after which
    /// `ifUnreachable` has that node's items.
    func forwardNow<Item: Sendable>(
        _ items: [Item], of user: @escaping @Sendable (Item) -> String,
        as makeForward: @escaping @Sendable ([Item]) -> Fastchat_V1_Forward,
        ifUnreachable unreachable: @escaping @Sendable ([Item], String) async -> Void
    ) -> ReportRemainder? {
        @Sendable func forward(_ items: [Item], to node: String) async {
            if await !links.forward(makeForward(items), to: node) { await unreachable(items, node) }
        }
        let users = Set(items.map(user))
        guard let nodes = presence.knownNodes(of: users) else {
            return {
                for (node, items) in Self.byNode(items, of: user, in: await self.presence.nodes(of: users)) {
                    await forward(items, to: node)
                }
            }
        }
        var unsent: [String: [Item]] = [:]
        for (node, items) in Self.byNode(items, of: user, in: nodes)
        where !links.forwardNow(makeForward(items), to: node) {
            unsent[node] = items
        }
        guard !unsent.isEmpty else { return nil }
        return { [unsent] in
            for (node, items) in unsent { await forward(items, to: node) }
        }
    }

    /// `items` by the node of their `user`, in order; those whose user has none are left out.
    private static func byNode<Item>(
        _ items: [Item], of user: (Item) -> String, in nodes: [String: String]
    ) -> [String: [Item]] {
        var byNode: [String: [Item]] = [:]
        for item in items {
            guard let node = nodes[user(item)] else { continue }
            byNode[node, default: []].append(item)
        }
        return byNode
    }
}
