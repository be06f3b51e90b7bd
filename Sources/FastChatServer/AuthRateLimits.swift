import FastChatProtocol

/// How fast one key (a source address, or an account) may try a password proof.
public struct AuthRate: Sendable, Hashable {
    /// Attempts allowed at once.
    public var burst: Int
    /// Attempts regained per minute.
    public var perMinute: Int

    public init(burst: Int, perMinute: Int) {
        self.burst = burst
        self.perMinute = perMinute
    }
}

/// Limits on password proofs (sign-up, sign-in, password change, group creation, join and password change): per
/// source address and per account, each a token bucket. A proof costs the node only a signature check, so the limit
/// is what keeps online password guessing slow. The defaults are far above what a person does and far below what a
/// guessing client needs.
public struct AuthLimits: Sendable {
    public var perAddress: AuthRate
    public var perAccount: AuthRate
    /// Most addresses and accounts tracked at once; over it, the buckets that have refilled are forgotten first
    /// (a full bucket is the same as none), and then the fullest.
    public var maxTracked: Int
    /// The time the buckets refill by; tests move it forward instead of waiting.
    public var now: @Sendable () -> ContinuousClock.Instant

    public init(
        perAddress: AuthRate = AuthRate(burst: 60, perMinute: 60),
        perAccount: AuthRate = AuthRate(burst: 20, perMinute: 20),
        maxTracked: Int = 100_000,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.perAddress = perAddress
        self.perAccount = perAccount
        self.maxTracked = maxTracked
        self.now = now
    }
}

/// Token buckets keyed by name: each holds up to `rate.burst` tokens and regains `rate.perMinute` a minute.
struct TokenBuckets {
    private let rate: AuthRate
    private let maxTracked: Int
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]

    init(rate: AuthRate, maxTracked: Int) {
        self.rate = rate
        self.maxTracked = max(1, maxTracked)
    }

    /// How long until `key` has a token (zero: it has one now).
    func wait(for key: String, at now: ContinuousClock.Instant) -> Duration {
        let tokens = self.tokens(of: key, at: now)
        guard tokens < 1 else { return .zero }
        guard rate.perMinute > 0 else { return .seconds(86_400) }
        return .seconds((1 - tokens) * 60 / Double(rate.perMinute))
    }

    mutating func take(from key: String, at now: ContinuousClock.Instant) {
        let left = tokens(of: key, at: now) - 1
        if buckets[key] == nil, buckets.count >= maxTracked { forgetFullest(at: now) }
        buckets[key] = (left, now)
    }

    private func tokens(of key: String, at now: ContinuousClock.Instant) -> Double {
        let capacity = Double(rate.burst)
        guard let bucket = buckets[key] else { return capacity }
        let elapsed = (now - bucket.at).seconds
        return min(capacity, bucket.tokens + max(0, elapsed) * Double(rate.perMinute) / 60)
    }

    private mutating func forgetFullest(at now: ContinuousClock.Instant) {
        let capacity = Double(rate.burst)
        let refilled = buckets.keys.filter { tokens(of: $0, at: now) >= capacity }
        if !refilled.isEmpty {
            for key in refilled { buckets[key] = nil }
            return
        }
        if let fullest = buckets.keys.max(by: { tokens(of: $0, at: now) < tokens(of: $1, at: now) }) {
            buckets[fullest] = nil
        }
    }
}

/// The node's limits on password proofs, shared by every connection.
actor AuthRateLimiter {
    private let now: @Sendable () -> ContinuousClock.Instant
    private var perAddress: TokenBuckets
    private var perAccount: TokenBuckets

    init(_ limits: AuthLimits) {
        now = limits.now
        perAddress = TokenBuckets(rate: limits.perAddress, maxTracked: limits.maxTracked)
        perAccount = TokenBuckets(rate: limits.perAccount, maxTracked: limits.maxTracked)
    }

    /// Takes one attempt for `address` (nil: unknown, not limited by address) and `account`, or throws
    /// `RATE_LIMITED` saying how long to wait. Nothing is taken from either when one of them is refused.
    func admit(address: String?, account: String, what: String) throws {
        let now = now()
        let addressWait = address.map { perAddress.wait(for: $0, at: now) } ?? .zero
        let accountWait = perAccount.wait(for: account, at: now)
        let wait = max(addressWait, accountWait)
        guard wait == .zero else {
            let seconds = max(1, Int(wait.seconds.rounded(.up)))
            let whose = addressWait >= accountWait ? "from this address" : "for \(account)"
            throw ProtocolError(
                .rateLimited, "Too many \(what) attempts \(whose): try again in \(seconds) seconds.",
                retryAfterSeconds: seconds)
        }
        if let address { perAddress.take(from: address, at: now) }
        perAccount.take(from: account, at: now)
    }
}
