/// One connection's requests handed to a group commit and not yet answered. At the limit its next request waits,
/// and with it the reading of the connection, until one is answered: a client cannot pipeline without bound.
actor RequestWindow {
    private let limit: Int
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    func acquire() async {
        while open >= limit {
            await withCheckedContinuation { waiters.append($0) }
        }
        open += 1
    }

    var waiting: Int { waiters.count }

    func release() {
        open -= 1
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }
}
