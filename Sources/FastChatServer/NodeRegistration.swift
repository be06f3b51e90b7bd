import FastChatStore
import Foundation
import Logging

/// Keeps this node in the shared registry: registers it, heartbeats with its connection count, reaps nodes whose
/// heartbeat stopped (clearing their sessions, so their users can sign in elsewhere) and keeps the node links in step.
struct NodeRegistration: Sendable {
    let services: NodeServices
    let address: String
    /// Called when the registry says this node is to drain (`fastchat drain`).
    var onDrainRequested: @Sendable () -> Void = {}

    private var configuration: ServerConfiguration { services.configuration }

    func register() async throws {
        let now = Date()
        try await services.store.registerNode(
            NodeRecord(
                name: configuration.nodeName,
                address: address,
                pid: Int(ProcessInfo.processInfo.processIdentifier),
                connections: 0,
                startedAt: now,
                heartbeatAt: now
            )
        )
    }

    /// Runs until cancelled, on a thread of its own (a `ThreadExecutor`). A failing store only costs heartbeats:
    /// the loop logs and tries again. Beside the heartbeats, the store is swept (`StoreSweep`).
    func run() async {
        // Message work fills the cooperative pool on a saturated node; a heartbeat queued behind it would arrive
        // late, and the other nodes would take a busy node for dead (clearing its sessions).
        let executor = ThreadExecutor()
        await withTaskExecutorPreference(executor) {
            await beatUntilCancelled()
        }
        await executor.shutdown()
    }

    private func beatUntilCancelled() async {
        let services = self.services
        // Links are kept in step beside the beats, not in them: dialing a node that just died waits for its connect
        // timeout, and a heartbeat that waited with it could make this node look dead in turn.
        let (liveNodes, liveNodesInput) = AsyncStream.makeStream(of: [NodeRecord].self, bufferingPolicy: .bufferingNewest(1))
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await live in liveNodes {
                    await services.links.update(liveNodes: live)
                }
            }
            group.addTask { await StoreSweep(services: services).run() }
            var rate = MessageRate()
            while !Task.isCancelled {
                let perSecond = rate.add(services.metrics.figures.messagesAccepted, at: .now)
                do {
                    let (beat, live) = try await beat(messagesPerSecond: perSecond)
                    // Before the next heartbeat, which a draining node waits for (`NodeDrain`).
                    services.presence.nodesDraining(Set(live.filter(\.draining).map(\.name)))
                    // A node with no client left is sent nothing more; closing the link tells it so.
                    liveNodesInput.yield(live.filter { !$0.isLeaving })
                    if live.contains(where: { $0.name == configuration.nodeName && $0.draining }) {
                        onDrainRequested()
                    }
                    if beat == .registeredAgain {
                        // Not awaited here: replaying thousands of mailboxes must not delay the next heartbeat.
                        group.addTask { await services.resync(nil, restored: true) }
                    }
                } catch {
                    services.metrics.storeErrors.increment()
                    services.logger.warning("Heartbeat failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: configuration.heartbeatInterval)
            }
            liveNodesInput.finish()
            group.cancelAll()
        }
    }

    enum Beat {
        case registered
        /// Another node had taken this one for dead: its users may have missed entries meanwhile.
        case registeredAgain
    }

    /// One heartbeat, with the node's load; answers the nodes that are live as of it.
    func beat(messagesPerSecond: Double = 0) async throws -> (Beat, live: [NodeRecord]) {
        let store = services.store
        let now = Date()
        let load = NodeLoad(
            connections: services.sessions.count, messagesPerSecond: messagesPerSecond,
            mailboxPending: services.metrics.figures.mailboxPending)
        var beat = Beat.registered
        if try await !store.heartbeat(node: configuration.nodeName, load: load, at: now) {
            // Held from before this node is visible again, so nothing forwarded to it from now on overtakes what
            // its users missed; only the replay after their sessions are restored releases them (another node may
            // ask for a replay as soon as it sees this one again, before some sessions are back: entries for those
            // users still go to the mailbox, and that replay would otherwise let newer live ones overtake them).
            for session in services.sessions.all {
                await session.delivery.hold(untilRestored: true)
            }
            try await register()
            await restoreSessions()
            beat = .registeredAgain
        }
        let cutoff = now.addingTimeInterval(-configuration.deadAfter.seconds)
        let reaped = try await store.reapNodes(heartbeatBefore: cutoff)
        if !reaped.isEmpty {
            services.logger.notice("Nodes stopped heartbeating; their sessions are cleared", metadata: ["nodes": "\(reaped)"])
        }
        let live = try await store.nodes().filter { $0.heartbeatAt >= cutoff }
        return (beat, live)
    }

    /// This node's row was gone: another node took it for dead (a stall longer than `deadAfter`, such as a busy
    /// machine) and cleared its sessions while its users are still connected here. Without their session rows they
    /// would be "offline" to the rest of the cluster — nothing forwarded to them live — and could sign in twice.
    private func restoreSessions() async {
        let usernames = services.sessions.usernames
        var restored = 0
        for username in usernames {
            do {
                try await services.store.openSession(username: username, node: configuration.nodeName)
                restored += 1
            } catch {
                // Signed in elsewhere meanwhile: that session is the real one; this connection's pushes stop
                // when it next hears from its client or closes.
                services.logger.warning("Could not restore a session", metadata: ["user": "\(username)", "error": "\(error)"])
            }
        }
        services.logger.notice("This node was taken for dead; registered again", metadata: ["sessions": "\(restored)"])
    }

    func deregister() async {
        await services.links.closeAll()
        do {
            try await services.store.removeNode(configuration.nodeName)
        } catch {
            services.logger.error("Could not remove this node from the registry", metadata: ["error": "\(error)"])
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
