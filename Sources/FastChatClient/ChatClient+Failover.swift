import FastChatProtocol
import Foundation

extension ChatClient {
    /// Hands a sealed envelope to the node and waits for ✓. With `reconnects`, a connection lost on the way is
    /// waited out and the same envelope (same id, so never stored twice) is sent again.
    func deliver(_ envelope: Envelope) async throws {
        // The node refuses what it could not push whole to every recipient; said here, before anything is sent.
        let sealed = try envelope.serializedBytes() as [UInt8]
        let largest = maxFrameBytes - Wire.pushOverhead
        guard sealed.count <= largest else {
            throw ProtocolError(
                .badRequest,
                "The message is too large to send: \(sealed.count) bytes sealed, at most \(largest) (a group's member keys count too).")
        }
        while true {
            do {
                _ = try await request(.send(.with { $0.envelope = envelope }))
                return
            } catch let error as ProtocolError where error.code == .unavailable && options.reconnects {
                guard account != nil else { throw error }
                await waitForReconnection()
            }
        }
    }

    /// A failover under way is waited out; with none, the next request starts one (nobody else may be reading the
    /// events, which is where a lost connection is otherwise noticed).
    private func waitForReconnection() async {
        guard reconnecting else { return }
        await withCheckedContinuation { reconnectWaiters.append($0) }
    }

    /// The connection closed: said (unless it was replaced or is being replaced), then failed over, as the next item
    /// of the events, after the reader has had the `.disconnected`.
    func ended(_ old: FrameConnection) {
        guard connection === old, !reconnecting else { return }
        eventContinuation.yield(.disconnected(reason: "The connection to the server was closed."))
        if options.reconnects, account != nil {
            eventContinuation.inbox.yield(.failOver(old))
        }
    }

    func failOver(from old: FrameConnection) async {
        guard connection === old, account != nil else { return }
        await reconnect()
    }

    /// The node is draining (`Move`): what is in flight is answered there first, then the session moves through the
    /// endpoint (the balancer skips draining nodes) at once. Not a loss, so no `.disconnected`: what the old node
    /// held back is replayed by the next one, and what was already shown is not shown again (`unacknowledged`).
    func move(from old: FrameConnection) async {
        guard connection === old, account != nil, !reconnecting else { return }
        reconnecting = true
        await old.waitUntilAnswered(within: options.answerTimeout)
        connection = nil
        await old.close()
        options.logger.info("The node is draining; moving to another")
        reconnecting = false
        await reconnect(firstDelay: 0)
    }

    /// Reconnects through the endpoint (the balancer picks a live node) with exponential backoff and jitter, and
    /// signs in again. "Already logged in" is expected for a few seconds, until the dead node's session is reaped.
    func reconnect(firstDelay: Double = 0.1) async {
        guard !reconnecting, let account else { return }
        reconnecting = true
        defer {
            reconnecting = false
            reconnectWaiters.resumeAll()
        }
        var delay = firstDelay
        let deadline = ContinuousClock.now + options.reconnectTimeout
        while self.account != nil, !Task.isCancelled {
            guard ContinuousClock.now < deadline else {
                options.logger.warning("Gave up reconnecting")
                eventContinuation.yield(.connectionLost(reason: "No chat node took the session back."))
                return
            }
            try? await Task.sleep(for: .seconds(delay * Double.random(in: 0.5...1.5)))
            delay = min(max(delay * 2, 0.1), 3)
            do {
                connection = nil
                try await connect()
                guard let connection else { continue }
                guard case .authParams(let params) = try await connection.request(
                    .getAuthParams(.with { $0.username = account.username }))
                else { continue }
                var signIn = Fastchat_V1_SignIn()
                signIn.username = account.username
                signIn.signature = try await sign(
                    .signIn, subject: account.username, by: account.loginKey, challenge: params.challenge)
                guard case .signedIn(let reply) = try await connection.request(.signIn(signIn)) else { continue }
                nodeName = reply.nodeName
                options.logger.notice("Failed over", metadata: ["node": "\(reply.nodeName)"])
                eventContinuation.yield(.reconnected(node: reply.nodeName))
                return
            } catch {
                options.logger.debug("Reconnecting failed; retrying", metadata: ["error": "\(error)"])
                if let connection { await connection.close() }
            }
        }
    }
}
