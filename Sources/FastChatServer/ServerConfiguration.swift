import Metrics
import FastChatProtocol
import FastChatTLS
import FastChatStore

public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Identifies this node in the store's session table (and, with several nodes, in the registry).
    public var nodeName: String
    public var maxFrameBytes: Int
    /// Incorrect passwords one connection may try before it is closed.
    public var maxFailedSignIns: Int
    /// Mailbox entries read from the store per page when replaying pending mail.
    public var replayPageSize: Int
    /// Most rows written in one transaction (group commit): a message writes one per recipient, an acknowledgement one
    /// per entry; a single heavier one still goes, alone.
    public var maxBatchSize: Int
    /// The address other nodes and the balancer's clients use ("host:port"); nil: the bound address.
    public var advertisedAddress: String?
    public var heartbeatInterval: Duration
    /// A node whose heartbeat is older than this is dead: its sessions are cleared and no client is sent to it.
    public var deadAfter: Duration
    /// Largest image (plaintext bytes) accepted, announced to clients at Hello.
    public var maxImageBytes: Int
    /// How long an image is kept when not every recipient fetches it.
    public var imageTimeToLive: Duration
    /// How long an upload no message refers to is kept.
    public var unreferencedUploadTimeToLive: Duration
    /// How long a message's id is remembered after it is accepted, so that a client's retry of it is a duplicate and
    /// stored only once. Longer than any retry: clients resend what was not answered while they run.
    public var duplicateCheckWindow: Duration
    /// How often a node deletes the images that are due (expired, or uploads no message refers to).
    public var sweepInterval: Duration
    /// How often a node goes through the duplicate check and forgets the ids past its window.
    public var duplicateCheckSweepInterval: Duration
    /// How often one address, and one account, may try a password proof (sign-up, sign-in, password change, group
    /// creation, join and password change).
    public var authLimits: AuthLimits
    /// A connection must say its first frame (Hello or NodeHello) this soon after it is accepted, TLS handshake
    /// included.
    public var firstFrameTimeout: Duration
    /// A connection that sends no frame for this long is closed (clients ping well within it); nil: never.
    public var idleTimeout: Duration?
    /// Connections served at once, and from one address; beyond them a new connection is told why and closed.
    public var connectionLimits: ConnectionLimits
    /// Bytes queued for one connection above which the node stops reading its requests and pauses its pushes,
    /// and below which (having stopped) it resumes.
    public var outboundHighWater: Int
    public var outboundLowWater: Int
    /// A connection whose queue stays above the high-water mark this long is closed (its peer stopped reading).
    public var stuckOutboundTimeout: Duration
    /// Sends and acknowledgements one connection may have waiting for their commit.
    public var maxRequestsInFlight: Int
    /// Members one group may have (a group message is stored once per member).
    public var maxGroupMembers: Int
    /// What one user's mailbox may hold; a message beyond it is refused with `MAILBOX_FULL`.
    public var mailboxQuota: MailboxQuota
    /// Bytes of images one user's uploads may keep on the server at once (until their recipients acknowledge them,
    /// or they expire).
    public var uploadQuotaBytes: Int
    /// How long a draining node (SIGTERM, `fastchat drain`) waits for its clients to move before it closes the
    /// connections that are left and stops.
    public var drainTimeout: Duration
    /// The certificate served to clients and presented on node links; nil serves plaintext (`--no-tls`).
    public var tls: TLSIdentity?
    /// Where the node's metrics go; nil: the process's `MetricsSystem` (a no-op unless it was bootstrapped). Tests
    /// running several nodes in one process give each its own.
    public var metricsFactory: (any MetricsFactory)?

    public init(
        host: String = "127.0.0.1",
        port: Int = 7001,
        nodeName: String = "s1",
        maxFrameBytes: Int = Wire.defaultMaxFrameBytes,
        maxFailedSignIns: Int = 10,
        replayPageSize: Int = 256,
        maxBatchSize: Int = 512,
        advertisedAddress: String? = nil,
        heartbeatInterval: Duration = .seconds(1),
        deadAfter: Duration = .seconds(3),
        maxImageBytes: Int = 25 << 20,
        imageTimeToLive: Duration = .seconds(7 * 24 * 3600),
        unreferencedUploadTimeToLive: Duration = .seconds(3600),
        duplicateCheckWindow: Duration = .seconds(7 * 24 * 3600),
        sweepInterval: Duration = .seconds(60),
        duplicateCheckSweepInterval: Duration = .seconds(3600),
        authLimits: AuthLimits = AuthLimits(),
        firstFrameTimeout: Duration = .seconds(10),
        idleTimeout: Duration? = .seconds(120),
        connectionLimits: ConnectionLimits = ConnectionLimits(),
        outboundHighWater: Int = 1 << 20,
        outboundLowWater: Int = 256 << 10,
        stuckOutboundTimeout: Duration = .seconds(60),
        maxRequestsInFlight: Int = 64,
        maxGroupMembers: Int = 1_000,
        mailboxQuota: MailboxQuota = MailboxQuota(entries: 10_000, bytes: 256 << 20),
        uploadQuotaBytes: Int = 1 << 30,
        drainTimeout: Duration = .seconds(30),
        tls: TLSIdentity?
    ) {
        self.host = host
        self.port = port
        self.nodeName = nodeName
        self.maxFrameBytes = maxFrameBytes
        self.maxFailedSignIns = maxFailedSignIns
        self.replayPageSize = replayPageSize
        self.maxBatchSize = maxBatchSize
        self.advertisedAddress = advertisedAddress
        self.heartbeatInterval = heartbeatInterval
        self.deadAfter = deadAfter
        self.maxImageBytes = maxImageBytes
        self.imageTimeToLive = imageTimeToLive
        self.unreferencedUploadTimeToLive = unreferencedUploadTimeToLive
        self.duplicateCheckWindow = duplicateCheckWindow
        self.sweepInterval = sweepInterval
        self.duplicateCheckSweepInterval = duplicateCheckSweepInterval
        self.authLimits = authLimits
        self.firstFrameTimeout = firstFrameTimeout
        self.idleTimeout = idleTimeout
        self.connectionLimits = connectionLimits
        self.outboundHighWater = outboundHighWater
        self.outboundLowWater = outboundLowWater
        self.stuckOutboundTimeout = stuckOutboundTimeout
        self.maxRequestsInFlight = maxRequestsInFlight
        self.maxGroupMembers = maxGroupMembers
        self.mailboxQuota = mailboxQuota
        self.uploadQuotaBytes = uploadQuotaBytes
        self.drainTimeout = drainTimeout
        self.tls = tls
    }
}
