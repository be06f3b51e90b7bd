/// scrypt cost: N = 2^log2N, r, p. Travels with each account so the cost can be raised later.
public struct KDFParameters: Sendable, Hashable, Codable {
    public var log2N: Int
    public var r: Int
    public var p: Int

    public init(log2N: Int, r: Int, p: Int) {
        self.log2N = log2N
        self.r = r
        self.p = p
    }

    /// Production default on the client (32 MiB, well under a second in release builds).
    public static let strong = KDFParameters(log2N: 15, r: 8, p: 1)
    /// Cheap enough for unit tests; never use for real accounts.
    public static let fast = KDFParameters(log2N: 10, r: 8, p: 1)

    static let log2NRange = 10...20
    static let rRange = 1...16
    static let pRange = 1...4
    /// scrypt allocates 128·r·N bytes; parameters arrive from the network, so they must not be able to exhaust memory.
    static let maxMemoryBytes = 1 << 30

    var rounds: Int { 1 << log2N }

    /// At least as costly as `minimum` in every dimension: memory (N, r) and work (N, r, p).
    public func isAtLeast(_ minimum: KDFParameters) -> Bool {
        log2N >= minimum.log2N && r >= minimum.r && p >= minimum.p
    }

    /// "N = 2^15, r = 8, p = 1"
    public var summary: String { "N = 2^\(log2N), r = \(r), p = \(p)" }

    /// Refuses values that are too weak, too expensive, or that scrypt itself rejects.
    public func validate() throws {
        guard Self.log2NRange.contains(log2N) else {
            throw CryptoError.invalidParameters("log2N must be in \(Self.log2NRange), got \(log2N)")
        }
        guard Self.rRange.contains(r) else {
            throw CryptoError.invalidParameters("r must be in \(Self.rRange), got \(r)")
        }
        guard Self.pRange.contains(p) else {
            throw CryptoError.invalidParameters("p must be in \(Self.pRange), got \(p)")
        }
        // scrypt requires N < 2^(16·r); only bites when r == 1.
        guard log2N < 16 * r else {
            throw CryptoError.invalidParameters("log2N must be below 16·r, got log2N \(log2N) with r \(r)")
        }
        guard 128 * r * rounds <= Self.maxMemoryBytes else {
            throw CryptoError.invalidParameters("log2N \(log2N) with r \(r) needs more than 1 GiB of memory")
        }
    }
}
