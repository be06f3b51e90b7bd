/// Remembers which claimed node names were refused a link, so that a peer retrying every second is logged once
/// (and again only after it was accepted in between). Bounded: a flood of made-up names cannot grow it.
actor LinkRefusals {
    private var logged: Set<String> = []
    private let limit = 1024

    func shouldLog(_ claimed: String) -> Bool {
        guard !logged.contains(claimed) else { return false }
        if logged.count >= limit { logged.removeAll() }
        logged.insert(claimed)
        return true
    }

    func accepted(_ name: String) {
        logged.remove(name)
    }
}
