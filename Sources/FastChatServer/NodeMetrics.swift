import Metrics
import FastChatProtocol
import Synchronization

/// Every metric a node exports, made once when the node starts. Counting costs an atomic add (swift-metrics
/// handlers are thread-safe), so the message path takes no lock or actor hop for it. The names follow Prometheus
/// conventions (`_total` counters, base units); the README's "Running FastChat" says what each means.
struct NodeMetrics: Sendable {
    let connections: Meter
    let connectionsAccepted: Counter
    let refusedServerFull: Counter
    let refusedAddressLimit: Counter
    let refusedNodeLink: Counter
    let signIns: SignInCounters
    let messagesAccepted: Counter
    let messagesDelivered: Counter
    let messagesAcknowledged: Counter
    let groupCopies: Counter
    let mailboxCommits: CommitMetrics
    let ackCommits: CommitMetrics
    let pushLatency: Timer
    let outboundBuffered: Gauge
    let mailboxPending: Gauge
    let rateLimited: Counter
    let mailboxQuotaRefused: Counter
    let uploadQuotaRefused: Counter
    let linkForwards: Counter
    let linkForwardFailures: Counter
    let storeErrors: Counter
    let sweptExpiredImages: Counter
    let sweptUnreferencedUploads: Counter
    let sweptMessageIDs: Counter
    /// The figures the heartbeat reports too (`fastchat status`), which swift-metrics handlers cannot be read for.
    let figures = NodeFigures()

    init(factory: any MetricsFactory) {
        func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Counter {
            Counter(label: label, dimensions: dimensions, factory: factory)
        }
        connections = Meter(label: "fastchat_connections", factory: factory)
        connectionsAccepted = counter("fastchat_connections_accepted_total")
        refusedServerFull = counter("fastchat_connections_refused_total", [("cause", "server_full")])
        refusedAddressLimit = counter("fastchat_connections_refused_total", [("cause", "address_limit")])
        refusedNodeLink = counter("fastchat_connections_refused_total", [("cause", "unknown_node")])
        signIns = SignInCounters(factory: factory)
        messagesAccepted = counter("fastchat_messages_accepted_total")
        messagesDelivered = counter("fastchat_messages_delivered_total")
        messagesAcknowledged = counter("fastchat_messages_acknowledged_total")
        groupCopies = counter("fastchat_group_copies_total")
        mailboxCommits = CommitMetrics(writer: "mailbox", factory: factory)
        ackCommits = CommitMetrics(writer: "acks", factory: factory)
        pushLatency = Timer(label: "fastchat_push_latency_seconds", factory: factory)
        outboundBuffered = Gauge(label: "fastchat_outbound_buffered_bytes", factory: factory)
        mailboxPending = Gauge(label: "fastchat_mailbox_entries_pending", factory: factory)
        rateLimited = counter("fastchat_requests_rate_limited_total", [("limit", "password_proofs")])
        mailboxQuotaRefused = counter("fastchat_requests_quota_refused_total", [("quota", "mailbox")])
        uploadQuotaRefused = counter("fastchat_requests_quota_refused_total", [("quota", "uploads")])
        linkForwards = counter("fastchat_link_forwards_total")
        linkForwardFailures = counter("fastchat_link_forward_failures_total")
        storeErrors = counter("fastchat_store_errors_total")
        sweptExpiredImages = counter("fastchat_store_swept_total", [("what", "expired_images")])
        sweptUnreferencedUploads = counter("fastchat_store_swept_total", [("what", "unreferenced_uploads")])
        sweptMessageIDs = counter("fastchat_store_swept_total", [("what", "message_ids")])
    }

    /// A connection the node refused before serving it.
    func refused(_ error: ProtocolError) {
        (error.code == .rateLimited ? refusedAddressLimit : refusedServerFull).increment()
    }
}

/// One group-commit writer's batches: how many items each wrote, and how long its transaction took.
struct CommitMetrics: Sendable {
    let batchSize: Recorder
    let duration: Timer

    init(writer: String, factory: any MetricsFactory) {
        batchSize = Recorder(label: "fastchat_commit_batch_size", dimensions: [("writer", writer)], factory: factory)
        duration = Timer(label: "fastchat_commit_duration_seconds", dimensions: [("writer", writer)], factory: factory)
    }
}

/// Sign-ins by outcome.
struct SignInCounters: Sendable {
    let succeeded: Counter
    let incorrectPassword: Counter
    let rateLimited: Counter
    let refused: Counter

    init(factory: any MetricsFactory) {
        func outcome(_ name: String) -> Counter {
            Counter(label: "fastchat_sign_ins_total", dimensions: [("outcome", name)], factory: factory)
        }
        succeeded = outcome("succeeded")
        incorrectPassword = outcome("incorrect_password")
        rateLimited = outcome("rate_limited")
        refused = outcome("refused")
    }

    /// Counts a sign-in that failed with `error`.
    func failed(_ error: any Error) {
        switch (error as? ProtocolError)?.code {
        case .incorrectPassword: incorrectPassword.increment()
        case .rateLimited: rateLimited.increment()
        default: refused.increment()
        }
    }
}

/// Counts this node keeps beside its metrics, for its heartbeat: messages accepted (a rate in `fastchat status`)
/// and mailbox entries pushed and not yet acknowledged.
final class NodeFigures: Sendable {
    private let accepted = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)

    func messageAccepted() {
        accepted.add(1, ordering: .relaxed)
    }

    func pendingChanged(by delta: Int) {
        guard delta != 0 else { return }
        pending.add(delta, ordering: .relaxed)
    }

    var messagesAccepted: Int { accepted.load(ordering: .relaxed) }
    var mailboxPending: Int { max(0, pending.load(ordering: .relaxed)) }
}

/// Messages per second over a sliding window of heartbeats.
struct MessageRate {
    private var samples: [(at: ContinuousClock.Instant, count: Int)] = []
    private let span: Duration

    init(span: Duration = .seconds(5)) {
        self.span = span
    }

    /// Adds the count at `now`; returns the rate since the oldest sample within the span.
    mutating func add(_ count: Int, at now: ContinuousClock.Instant) -> Double {
        samples.append((now, count))
        while samples.count > 2, now - samples[1].at >= span { samples.removeFirst() }
        guard let first = samples.first, now > first.at else { return 0 }
        return Double(max(0, count - first.count)) / (now - first.at).seconds
    }
}
