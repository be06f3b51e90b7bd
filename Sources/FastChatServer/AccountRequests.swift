import FastChatCrypto
import FastChatProtocol
import FastChatStore
import Foundation

extension ConnectionHandler {
    func signUp(_ request: Fastchat_V1_SignUp, requestID: UInt64) async throws {
        let challenge = try takeChallenge()
        try Names.validate(request.username)
        let loginKey = try checkedLoginKey(request.loginKey)
        let kdf = try checkedKDF(request.kdf)
        let identity: PublicIdentity
        do {
            identity = try PublicIdentity(signingKey: request.identity.signingKey, agreementKey: request.identity.agreementKey)
        } catch {
            throw ProtocolError(.badRequest, "The identity keys are not valid Curve25519 public keys.")
        }
        guard !request.keyBackup.isEmpty, request.keyBackup.count <= Self.maxKeyBackupBytes else {
            throw ProtocolError(.badRequest, "The key backup is missing or too large.")
        }
        // A taken name is refused before it costs a token; `createUser` still settles a race.
        if try await services.users.user(named: request.username) != nil {
            throw Self.usernameTaken(request.username)
        }
        try await admitPasswordProof(for: request.username, what: "sign-up")
        guard isValidProof(
            .signUp, subject: request.username, loginKey: loginKey, signature: request.signature, challenge: challenge)
        else {
            throw ProtocolError(.badRequest, "The sign-up is not signed by its login key for this connection's challenge.")
        }
        let record = UserRecord(
            username: request.username,
            verifier: .loginKey(loginKey),
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

    static let maxKeyBackupBytes = 4096

    private static func usernameTaken(_ username: String) -> ProtocolError {
        ProtocolError(.usernameTaken, "The username \"\(username)\" is already taken.")
    }

    /// The account's KDF parameters and a fresh challenge for the sign-in that follows.
    func authParams(_ request: Fastchat_V1_GetAuthParams, requestID: UInt64) async throws {
        let user = try await storedUser(request.username)
        var reply = Fastchat_V1_AuthParams()
        reply.kdf = WireKDFParams(user)
        reply.challenge = issueChallenge()
        if case .legacyHash = user.verifier { reply.legacy = true }
        outbox.reply(to: requestID, .authParams(reply))
    }

    func signIn(_ request: Fastchat_V1_SignIn, requestID: UInt64) async throws {
        let challenge = try takeChallenge()
        guard session == nil else {
            throw ProtocolError(.alreadySignedIn, "This connection is already signed in as \(session!.username).")
        }
        let user = try await storedUser(request.username)
        try await admitPasswordProof(for: user.username, what: "sign-in")
        let proof = try await checkProof(
            against: user.verifier, .signIn, subject: user.username, signature: request.signature,
            legacyAuthKey: request.legacyAuthKey, upgradeKey: request.loginKey, challenge: challenge)
        guard proof.valid else {
            countFailedProof()
            throw ProtocolError(.incorrectPassword, "Incorrect password for \(request.username).")
        }
        if let upgradeTo = proof.upgradeTo, case .legacyHash(let old) = user.verifier {
            let store = services.store
            try await replaceLegacyHash(
                of: "\(user.username)", with: upgradeTo,
                update: { try await store.upgradeLogin(username: user.username, legacyHash: old, loginKey: upgradeTo) },
                reread: { try await store.user(named: user.username)?.verifier },
                otherwise: ProtocolError(.incorrectPassword, "The password of \(user.username) changed during the sign-in."))
        }
        // A node that just started signs no one in before it is linked both ways to its peers (`LinksReady`).
        await services.linksReady.wait()
        do {
            try await services.store.openSession(username: user.username, node: services.configuration.nodeName)
        } catch StoreError.alreadyLoggedIn(let node) {
            throw ProtocolError(.alreadyLoggedIn, "\(user.username) is already logged in elsewhere (on node \(node)).")
        }
        let delivery = MailboxDelivery(
            username: user.username,
            outbox: outbox,
            loop: outbox.eventLoop,
            store: services.store,
            pageSize: services.configuration.replayPageSize,
            framing: protocolVersion >= Wire.deliveriesVersion
                ? .deliveries(maxFrameBytes: services.configuration.maxFrameBytes) : .deliverEach,
            metrics: services.metrics,
            // Its logs name the user; a logger with metadata of its own would cost every session its copy.
            logger: services.logger
        )
        await flow.attach(delivery)
        let session = Session(
            username: user.username, outbox: outbox, delivery: delivery,
            receiptsInBatches: protocolVersion >= Wire.receiptBatchesVersion)
        services.sessions.register(session)
        self.session = session
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

    /// The account, its identity from the node's cache (identity keys never change).
    func existingUser(_ username: String) async throws -> UserRecord {
        try Names.validate(username)
        guard let user = try await services.users.user(named: username) else {
            throw ProtocolError(.noSuchUser, "There is no user named \(username).")
        }
        return user
    }

    /// The account as the store has it now: its verifier, KDF parameters and key backup change with its password,
    /// perhaps on another node, so proofs never use a cached copy.
    func storedUser(_ username: String) async throws -> UserRecord {
        try Names.validate(username)
        guard let user = try await services.store.user(named: username) else {
            throw ProtocolError(.noSuchUser, "There is no user named \(username).")
        }
        return user
    }
}

extension WireKDFParams {
    init(_ user: UserRecord) {
        self.init()
        log2N = UInt32(clamping: user.kdfLog2N)
        r = UInt32(clamping: user.kdfR)
        p = UInt32(clamping: user.kdfP)
    }
}

extension WirePublicIdentity {
    init(_ user: UserRecord) {
        self.init()
        signingKey = user.signingKey
        agreementKey = user.agreementKey
    }
}
