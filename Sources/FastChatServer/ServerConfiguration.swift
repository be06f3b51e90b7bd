import FastChatCrypto
import FastChatProtocol

public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Identifies this node in the store's session table (and, with several nodes, in the registry).
    public var nodeName: String
    public var maxFrameBytes: Int
    /// Cost of the server-side hash of each account's auth key. Tests lower it; it is recorded with each hash.
    public var authHashParameters: KDFParameters
    /// Incorrect passwords one connection may try before it is closed.
    public var maxFailedSignIns: Int
    /// Mailbox entries read from the store per page when replaying pending mail.
    public var replayPageSize: Int
    /// Most messages written in one transaction (group commit).
    public var maxBatchSize: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 7001,
        nodeName: String = "s1",
        maxFrameBytes: Int = Wire.defaultMaxFrameBytes,
        authHashParameters: KDFParameters = AuthKeyHash.defaultParameters,
        maxFailedSignIns: Int = 10,
        replayPageSize: Int = 256,
        maxBatchSize: Int = 512
    ) {
        self.host = host
        self.port = port
        self.nodeName = nodeName
        self.maxFrameBytes = maxFrameBytes
        self.authHashParameters = authHashParameters
        self.maxFailedSignIns = maxFailedSignIns
        self.replayPageSize = replayPageSize
        self.maxBatchSize = maxBatchSize
    }
}
