import FastChatCrypto
import FastChatProtocol
import FastChatTLS
import Foundation
import Logging

/// The FastChat client: signs up and in, seals and sends messages, and opens, verifies and acknowledges what
/// arrives. Both the scriptable commands and the interactive menu are built on it.
public actor ChatClient {
    public struct Options: Sendable {
        public var endpoint: Endpoint
        /// How the server is verified; nil only where the server was started with `--no-tls` too.
        public var tls: ClientTLS?
        /// Client state lives under `<home>/<user>/`.
        public var home: URL
        /// scrypt cost for new accounts and groups; existing ones use what they were created with. It is also the
        /// floor: parameters a server answers with are refused if weaker, since a server that lowered them would get
        /// an auth key that cracks cheaply.
        public var kdf: KDFParameters
        public var logger: Logger
        /// When the node goes away: reconnect through the endpoint (the balancer) with backoff, sign in again and
        /// resend what was not yet accepted. One-shot commands leave it off and fail instead.
        public var reconnects: Bool
        /// How long a failover may try before it gives up with `.connectionLost`.
        public var reconnectTimeout: Duration
        /// How long a server has to answer Hello before it counts as unreachable (and, behind a balancer, another
        /// node is tried).
        public var answerTimeout: Duration

        public init(
            endpoint: Endpoint,
            tls: ClientTLS?,
            home: URL,
            kdf: KDFParameters = .strong,
            logger: Logger = Logger(label: "fastchat.client"),
            reconnects: Bool = false,
            reconnectTimeout: Duration = .seconds(20),
            answerTimeout: Duration = .seconds(5)
        ) {
            self.endpoint = endpoint
            self.tls = tls
            self.home = home
            self.kdf = kdf
            self.logger = logger
            self.reconnects = reconnects
            self.reconnectTimeout = reconnectTimeout
            self.answerTimeout = answerTimeout
        }
    }

    /// Read by one task at a time, for as long as the caller wants events, and pushes, handled (see `ClientEvents`).
    public nonisolated var events: ClientEvents { ClientEvents(client: self, inbox: inbox) }
    nonisolated let inbox: AsyncStream<Inbound>
    let eventContinuation: EventSink
    let options: Options
    var connection: FrameConnection?
    public internal(set) var nodeName: String?
    public private(set) var maxFrameBytes = Wire.defaultMaxFrameBytes
    /// The node's limit for images, announced at Hello (0: it accepts none).
    public private(set) var maxImageBytes = 0
    var account: Account?
    var peerKeys: [String: PublicIdentity] = [:]
    /// Pushes that arrive between the sign-in reply and the account being ready wait here, while `signingIn`.
    var accountWaiters: [CheckedContinuation<Void, Never>] = []
    /// Only a sign-in under way is waited for: a push for one that failed must not hold up the events for good.
    var signingIn = false
    /// Senders waiting for the connection to come back (failover).
    var reconnectWaiters: [CheckedContinuation<Void, Never>] = []
    var reconnecting = false
    /// Messages handed to the consumer but not yet acknowledged: a copy pushed again after a failover (same
    /// mailbox entry, same seq) is not handed over twice.
    var unacknowledged: Set<UUID> = []

    struct Account {
        var username: String
        var identity: Identity
        var keystore: Keystore
        /// Kept (not the password) to sign in again after a failover, and to prove the current password when
        /// changing it.
        var loginKey: LoginKey
    }

    public init(options: Options) {
        self.options = options
        let (inbox, continuation) = AsyncStream.makeStream(of: Inbound.self)
        self.inbox = inbox
        eventContinuation = EventSink(inbox: continuation)
    }

    public var username: String? { account?.username }

    public nonisolated var reconnects: Bool { options.reconnects }

    public var fingerprint: String? { account?.identity.publicIdentity.fingerprint }

    /// Connects (through the balancer, if the endpoint is one) unless already connected.
    public func connect() async throws {
        if let connection, await !connection.isClosed { return }
        let inbox = eventContinuation.inbox
        let (connection, hello) = try await FrameConnection.open(
            to: options.endpoint, tls: options.tls, answerTimeout: options.answerTimeout
        ) { connection, news in
            switch news {
            case .push(let body): inbox.yield(.push(body, from: connection))
            case .closed: inbox.yield(.ended(connection))
            }
        }
        self.connection = connection
        nodeName = hello.nodeName
        if hello.maxFrameBytes > 0 { maxFrameBytes = Int(hello.maxFrameBytes) }
        maxImageBytes = Int(clamping: hello.maxImageBytes)
    }

    func request(_ body: Frame.OneOf_Body) async throws -> Frame.OneOf_Body {
        while true {
            // During a failover nothing may go out before the new connection is signed in.
            while reconnecting {
                await withCheckedContinuation { reconnectWaiters.append($0) }
            }
            guard account != nil, await !hasOpenConnection else { break }
            // Signed in, but the connection is gone: a fresh one would not be signed in, so a request on it could
            // only fail. Fail over first (which signs in again), or report the loss.
            guard options.reconnects else {
                throw ProtocolError(.unavailable, "The connection to the server was closed.")
            }
            if !reconnecting {
                await reconnect()
                if account != nil, await !hasOpenConnection {
                    throw ProtocolError(.unavailable, "No chat node took the session back.")
                }
            }
        }
        try await connect()
        return try await connection!.request(body)
    }

    private var hasOpenConnection: Bool {
        get async {
            guard let connection else { return false }
            return await !connection.isClosed
        }
    }

    /// `kdf` as a server sent it, if it is valid and no weaker than this client's floor (`options.kdf`).
    func checkedServerKDF(_ kdf: KDFParameters, for what: String) throws -> KDFParameters {
        do { try kdf.validate() } catch {
            throw ProtocolError(.internal, "The server sent key-derivation parameters out of range.")
        }
        guard kdf.isAtLeast(options.kdf) else {
            throw ProtocolError(
                .badRequest,
                "The server asks for a weaker \(what) hash (scrypt \(kdf.summary)) than this client's minimum "
                    + "(\(options.kdf.summary)), which would make the \(what) cheap to crack, so nothing was sent")
        }
        return kdf
    }

    public func signUp(username: String, password: String) async throws {
        try Names.validate(username)
        let secrets = try AccountSecrets.derive(password: password, username: username, parameters: options.kdf)
        let identity = Identity.generate()
        let challenge = try await freshChallenge()
        var request = Fastchat_V1_SignUp()
        request.username = username
        request.loginKey = secrets.loginKey.publicKey
        request.signature = try await sign(.signUp, subject: username, by: secrets.loginKey, challenge: challenge)
        request.kdf = WireKDFParams(options.kdf)
        request.identity = WirePublicIdentity(identity.publicIdentity)
        request.keyBackup = try identity.sealedBackup(vaultKey: secrets.vaultKey)
        _ = try await self.request(.signUp(request))
        try Keystore(home: options.home, username: username).save(identity)
    }

    /// Signs in; the mailbox then starts arriving as `.message` events, followed by `.synced`.
    public func signIn(username: String, password: String) async throws {
        try Names.validate(username)
        signingIn = true
        defer {
            signingIn = false
            accountWaiters.resumeAll()
        }
        let params = try await authParams(for: username)
        let kdf = try checkedServerKDF(KDFParameters(params.kdf), for: "password")
        let secrets = try AccountSecrets.derive(password: password, username: username, parameters: kdf)
        let keystore = try Keystore(home: options.home, username: username)
        var signIn = Fastchat_V1_SignIn()
        signIn.username = username
        signIn.signature = try await sign(.signIn, subject: username, by: secrets.loginKey, challenge: params.challenge)
        if params.legacy {
            // An account from before login keys: its old auth key, this once, and the key that replaces its hash.
            signIn.legacyAuthKey = secrets.authKey
            signIn.loginKey = secrets.loginKey.publicKey
        }
        guard case .signedIn(let reply) = try await request(.signIn(signIn)) else {
            throw ProtocolError(.internal, "The server answered the sign-in with something unexpected.")
        }
        let serverKey = try PublicIdentity(signingKey: reply.identity.signingKey, agreementKey: reply.identity.agreementKey)
        var identity = try? keystore.loadIdentity()
        if identity?.publicIdentity != serverKey {
            // New machine (or a stale local copy): recover the keys from the backup only the password opens.
            let recovered = try Identity(sealedBackup: reply.keyBackup, vaultKey: secrets.vaultKey)
            guard recovered.publicIdentity == serverKey else {
                throw ProtocolError(.internal, "The key backup on the server does not match the account's public key.")
            }
            try keystore.save(recovered)
            identity = recovered
        }
        account = Account(username: username, identity: identity!, keystore: keystore, loginKey: secrets.loginKey)
        nodeName = reply.nodeName.isEmpty ? nodeName : reply.nodeName
    }

    public func signOut() async {
        account = nil
        guard let connection else { return }
        _ = try? await connection.request(.signOut(.init()))
        await connection.close()
        self.connection = nil
        account = nil
    }

    func signedIn() throws -> Account {
        guard let account else { throw ProtocolError(.notSignedIn, "Sign in first.") }
        return account
    }
}

extension [CheckedContinuation<Void, Never>] {
    /// Resumes every waiter, and forgets them.
    mutating func resumeAll() {
        let waiters = self
        self = []
        for waiter in waiters { waiter.resume() }
    }
}

extension WirePublicIdentity {
    public init(_ key: PublicIdentity) {
        self.init()
        signingKey = key.signingKey
        agreementKey = key.agreementKey
    }
}
