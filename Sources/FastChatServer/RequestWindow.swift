import Synchronization

/// One connection's requests handed to a group commit and not yet answered. At the limit its next request waits,
/// and with it the reading of the connection, until one is answered: a client cannot pipeline without bound.
///
/// Taken by the connection's batch and given back by the commit stage's report, on another task: a counter behind a
/// mutex rather than an actor, so that neither side hops for it while the window has room, which is nearly always.
final class RequestWindow: Sendable {
    fileprivate struct State {
        var open = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a slot if one is free now.
    func tryAcquire() -> Bool {
        state.withLock { $0.take(under: limit) }
    }

    func acquire() async {
        if state.withLock({ $0.take(under: limit) }) { return }
        await withCheckedContinuation { waiter in
            let taken = state.withLock { state in
                if state.take(under: limit) { return true }
                state.waiters.append(waiter)
                return false
            }
            if taken { waiter.resume() }
        }
    }

    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Requests taken and not yet given back.
    var open: Int { state.withLock { $0.open } }

    /// Gives a slot back; a waiting request takes it over (the count of open ones stays).
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.open -= 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

extension RequestWindow.State {
    fileprivate mutating func take(under limit: Int) -> Bool {
        guard open < limit else { return false }
        open += 1
        return true
    }
}
