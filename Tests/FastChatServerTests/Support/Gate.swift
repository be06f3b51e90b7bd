/// Holds whoever passes it while closed (a page read, a commit), and says when one is waiting.
actor Gate {
    private var closed = false
    private var held: [CheckedContinuation<Void, Never>] = []
    private var watchers: [CheckedContinuation<Void, Never>] = []

    func pass() async {
        guard closed else { return }
        await withCheckedContinuation { continuation in
            held.append(continuation)
            for watcher in watchers { watcher.resume() }
            watchers = []
        }
    }

    func close() { closed = true }

    func waitUntilSomeoneWaits() async {
        guard held.isEmpty else { return }
        await withCheckedContinuation { watchers.append($0) }
    }

    func open() {
        closed = false
        for continuation in held { continuation.resume() }
        held = []
    }
}
