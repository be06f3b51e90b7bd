import FastChatCrypto
import FastChatProtocol
import FastChatStore
import Foundation

extension ConnectionHandler {
    func signUp(_ request: Fastchat_V1_SignUp, requestID: UInt64) async throws {
        try Names.validate(request.username)
        guard request.authKey.count == 32 else {
            throw ProtocolError(.badRequest, "The auth key must be 32 bytes.")
        }
        let kdf = KDFParameters(request.kdf)
        do { try kdf.validate() } catch {
            throw ProtocolError(.badRequest, "The key-derivation parameters are out of range.")
        }
        let identity: PublicIdentity
        do {
            identity = try PublicIdentity(signingKey: request.identity.signingKey, agreementKey: request.identity.agreementKey)
        } catch {
            throw ProtocolError(.badRequest, "The identity keys are not valid Curve25519 public keys.")
        }
        guard !request.keyBackup.isEmpty, request.keyBackup.count <= 4096 else {
            throw ProtocolError(.badRequest, "The key backup is missing or too large.")
        }
        // A taken name is refused before the node pays for the hash; `createUser` still settles a race.
        if try await services.users.user(named: request.username) != nil {
            throw Self.usernameTaken(request.username)
        }
        try await admitHashing(for: request.username, what: "sign-up")
        let authKey = request.authKey
        let parameters = services.configuration.authHashParameters
        let hash = try await services.blockingPool.runIfActive {
            try AuthKeyHash.make(authKey: authKey, parameters: parameters)
        }
        let record = UserRecord(
            username: request.username,
            authHash: hash.encoded,
            kdfLog2N: kdf.log2N,
            kdfR: kdf.r,
            kdfP: kdf.p,
            signingKey: identity.signingKey,
            agreementKey: identity.agreementKey,
            keyBackup: request.keyBackup,
            createdAt: Date()
        )
        do {
            try await services.store.createUser(record)
        } catch StoreError.usernameTaken {
            throw Self.usernameTaken(request.username)
        }
        logger.info("Signed up", metadata: ["user": "\(request.username)"])
        outbox.reply(to: requestID, .ok(.init()))
    }

    /// Whatever makes the node hash a password first takes a token for this connection's address and for
    /// `account` (a username, or a group as "#name"); over the limit it is refused with `RATE_LIMITED`.
    func admitHashing(for account: String, what: String) async throws {
        try await services.authLimiter.admit(address: peerHost, account: account, what: what)
    }

    private static func usernameTaken(_ username: String) -> ProtocolError {
        ProtocolError(.usernameTaken, "The username \"\(username)\" is already taken.")
    }

    func authParams(_ request: Fastchat_V1_GetAuthParams, requestID: UInt64) async throws {
        let user = try await existingUser(request.username)
        var reply = Fastchat_V1_AuthParams()
        reply.kdf.log2N = UInt32(user.kdfLog2N)
        reply.kdf.r = UInt32(user.kdfR)
        reply.kdf.p = UInt32(user.kdfP)
        outbox.reply(to: requestID, .authParams(reply))
    }

    func signIn(_ request: Fastchat_V1_SignIn, requestID: UInt64) async throws {
        guard session == nil else {
            throw ProtocolError(.alreadySignedIn, "This connection is already signed in as \(session!.username).")
        }
        let user = try await existingUser(request.username)
        try await admitHashing(for: user.username, what: "sign-in")
        let hash = try AuthKeyHash(encoded: user.authHash)
        let authKey = request.authKey
        let matches = try await services.blockingPool.runIfActive { hash.verify(authKey: authKey) }
        guard matches else {
            failedSignIns += 1
            if failedSignIns >= services.configuration.maxFailedSignIns {
                closeAfterThisFrame = true
            }
            throw ProtocolError(.incorrectPassword, "Incorrect password for \(request.username).")
        }
        do {
            try await services.store.openSession(username: user.username, node: services.configuration.nodeName)
        } catch StoreError.alreadyLoggedIn(let node) {
            throw ProtocolError(.alreadyLoggedIn, "\(user.username) is already logged in elsewhere (on node \(node)).")
        }
        let delivery = MailboxDelivery(
            username: user.username,
            outbox: outbox,
            store: services.store,
            pageSize: services.configuration.replayPageSize,
            logger: logger
        )
        let session = Session(username: user.username, outbox: outbox, delivery: delivery)
        await services.sessions.register(session)
        self.session = session
        logger[metadataKey: "user"] = "\(user.username)"
        logger.info("Signed in")

        var reply = Fastchat_V1_SignedIn()
        reply.identity = WirePublicIdentity(user)
        reply.keyBackup = user.keyBackup
        reply.nodeName = services.configuration.nodeName
        outbox.reply(to: requestID, .signedIn(reply))
        await delivery.replay()
    }

    func getUser(_ request: Fastchat_V1_GetUser, requestID: UInt64) async throws {
        _ = try signedInUser()
        let user = try await existingUser(request.username)
        var reply = Fastchat_V1_UserInfo()
        reply.username = user.username
        reply.identity = WirePublicIdentity(user)
        outbox.reply(to: requestID, .userInfo(reply))
    }

    func existingUser(_ username: String) async throws -> UserRecord {
        try Names.validate(username)
        guard let user = try await services.users.user(named: username) else {
            throw ProtocolError(.noSuchUser, "There is no user named \(username).")
        }
        return user
    }
}

extension KDFParameters {
    init(_ wire: WireKDFParams) {
        self.init(log2N: Int(wire.log2N), r: Int(wire.r), p: Int(wire.p))
    }
}

extension WirePublicIdentity {
    init(_ user: UserRecord) {
        self.init()
        signingKey = user.signingKey
        agreementKey = user.agreementKey
    }
}
