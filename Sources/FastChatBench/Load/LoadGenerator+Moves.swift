import FastChatProtocol
import Foundation
import NIOCore

extension LoadGenerator {
    /// Moves the clients of draining nodes (a rolling restart) until cancelled: each connection that heard `Move`
    /// and has all it wrote answered is replaced, as a real client does it, by a connection through the balancer that
    /// signs in again; it keeps the old one's place in the schedule, its send sequence and its delivery tracker, so
    /// a copy received on both counts as a duplicate and a gap as a loss.
    ///
    /// Each client moves as soon as it is ready, on its own, as independent clients do: moves made in batches would
    /// keep the ready ones waiting for the slowest of the batch, and a draining node closes whoever has not left
    /// by its deadline.
    func followMoves() async {
        await withDiscardingTaskGroup { moves in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
                for load in loads {
                    let taken = (try? await load.eventLoop.submit { load.value.takeMovers() }.get()) ?? []
                    for index in taken.map(Int.init) {
                        guard movesUnderWay.insert(index).inserted else {
                            movesAgain.insert(index)
                            continue
                        }
                        moves.addTask { await self.moveUntilSettled(index) }
                    }
                }
            }
        }
    }

    /// Moves the client, and again if its new node is draining too by the time it got there.
    private func moveUntilSettled(_ index: Int) async {
        repeat {
            await move(index)
        } while movesAgain.remove(index) != nil
        movesUnderWay.remove(index)
    }

    /// Replaces the client's channel by one on another node; when no node took the client back within a minute, it
    /// counts as a lost connection (a client-visible error, by what failed last).
    private func move(_ index: Int) async {
        let (old, user, load) = (channels[index], users[index], loads[index % loads.count])
        _ = try? await old.onLoop { $0.leaving = true }
        try? await old.channel.close()
        let deadline = ContinuousClock.now + .seconds(60)
        // What failed in the last attempt, should it be the last.
        var cause = ClientErrorCause.moveUnreachable
        while ContinuousClock.now < deadline, !Task.isCancelled {
            cause = .moveUnreachable
            do {
                let (fresh, _) = try await BenchChannel.open(to: endpoint, tls: tls, load: load)
                let previous = old.connection
                try await fresh.onLoop { connection in
                    connection.user = previous.value.user
                    connection.timed = previous.value.timed
                    connection.tracker = previous.value.tracker
                    connection.sequence = previous.value.sequence
                    connection.outgoing = previous.value.outgoing
                }
                do {
                    try await user.signIn(on: fresh)
                } catch {
                    cause = .moveSignInFailed((error as? ProtocolError)?.code ?? .internal)
                    _ = try? await fresh.onLoop { $0.leaving = true }
                    try? await fresh.channel.close()
                    throw error
                }
                channels[index] = fresh
                try await fresh.onLoop { connection in load.value.replace(previous.value, with: connection) }
                return
            } catch {
                // "Already logged in" until the draining node has closed the old session: try again shortly.
                logger.debug("Moving a client failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let last = cause
        _ = try? await load.eventLoop.submit { load.value.failed(last) }.get()
    }
}
