import FastChatCrypto
import FastChatProtocol
import FastChatStore
import Foundation

/// Group lifecycle and admin powers. Every permission is checked here, against the store: a client cannot forge
/// membership or an admin role.
extension ConnectionHandler {
    func createGroup(_ request: Fastchat_V1_CreateGroup, requestID: UInt64) async throws {
        let challenge = try takeChallenge()
        let session = try signedInUser()
        try Names.validate(request.name, kind: "group name")
        let (loginKey, kdf) = try await newGroupPassword(
            .createGroup, group: request.name, loginKey: request.loginKey, kdf: request.kdf,
            signature: request.signature, challenge: challenge, by: session.username)
        let record = GroupRecord(
            name: request.name,
            verifier: .loginKey(loginKey),
            kdfLog2N: kdf.log2N,
            kdfR: kdf.r,
            kdfP: kdf.p,
            createdBy: session.username,
            createdAt: Date()
        )
        do {
            try await services.store.createGroup(record)
        } catch StoreError.groupNameTaken {
            throw ProtocolError(.groupNameTaken, "The group name \"\(request.name)\" is already taken.")
        }
        logger.info("Created group", metadata: ["group": "\(request.name)"])
        outbox.reply(to: requestID, .ok(.init()))
    }

    /// The group's KDF parameters and a fresh challenge for the join that follows.
    func groupAuthParams(_ request: Fastchat_V1_GetGroupAuthParams, requestID: UInt64) async throws {
        _ = try signedInUser()
        let group = try await existingGroup(request.name)
        var reply = Fastchat_V1_AuthParams()
        reply.kdf = .with {
            $0.log2N = UInt32(clamping: group.kdfLog2N)
            $0.r = UInt32(clamping: group.kdfR)
            $0.p = UInt32(clamping: group.kdfP)
        }
        reply.challenge = issueChallenge()
        if case .legacyHash = group.verifier { reply.legacy = true }
        outbox.reply(to: requestID, .authParams(reply))
    }

    func joinGroup(_ request: Fastchat_V1_JoinGroup, requestID: UInt64) async throws {
        let challenge = try takeChallenge()
        let session = try signedInUser()
        let group = try await existingGroup(request.name)
        try await admitPasswordProof(for: "#" + group.name, what: "group join")
        let proof = try await checkProof(
            against: group.verifier, .joinGroup, subject: group.name, actor: session.username,
            signature: request.signature, legacyAuthKey: request.legacyAuthKey, upgradeKey: request.loginKey,
            challenge: challenge)
        guard proof.valid else {
            countFailedProof()
            throw ProtocolError(.incorrectGroupPassword, "Incorrect password for group \(group.name).")
        }
        if let upgradeTo = proof.upgradeTo, case .legacyHash(let old) = group.verifier {
            let store = services.store
            try await replaceLegacyHash(
                of: "#\(group.name)", with: upgradeTo,
                update: { try await store.upgradeGroupLogin(group: group.name, legacyHash: old, loginKey: upgradeTo) },
                reread: { try await store.group(named: group.name)?.verifier },
                otherwise: ProtocolError(.incorrectGroupPassword, "The password of group \(group.name) changed during the join."))
        }
        let outcome: GroupJoinOutcome
        do {
            outcome = try await services.store.join(
                group: group.name, username: session.username, maxMembers: services.configuration.maxGroupMembers)
        } catch StoreError.noSuchGroup {
            throw ProtocolError(.noSuchGroup, "There is no group named \(group.name).")
        }
        switch outcome {
        case .banned:
            throw ProtocolError(
                .notAMember,
                "You were removed from \(group.name) and cannot rejoin until an admin unbans you."
            )
        case .full:
            throw ProtocolError(
                .groupFull, "\(group.name) already has \(services.configuration.maxGroupMembers) members, as many as allowed.")
        case .alreadyMember:
            break
        case .joined:
            await notifyMembers(of: group.name, "joined", member: session.username, by: session.username)
        }
        outbox.reply(to: requestID, .ok(.init()))
    }

    func leaveGroup(_ request: Fastchat_V1_LeaveGroup, requestID: UInt64) async throws {
        let session = try signedInUser()
        let members = try await membership(of: request.name, for: session.username).members
        guard try await services.store.leave(group: request.name, username: session.username) else {
            throw ProtocolError(.notAMember, "You are not a member of \(request.name).")
        }
        let remaining = members.filter { $0.username != session.username }
        await notify(request.name, "left", member: session.username, by: session.username, to: members.map(\.username))
        // A group never loses its last admin while it has members: the longest-standing member takes over.
        if !remaining.isEmpty, !remaining.contains(where: { $0.role == .admin }) {
            let heir = remaining[0].username
            _ = try await services.store.setRole(group: request.name, member: heir, role: .admin)
            await notify(request.name, "promoted", member: heir, by: session.username, to: remaining.map(\.username))
        }
        if remaining.isEmpty {
            _ = try await services.store.deleteGroup(request.name)
        }
        outbox.reply(to: requestID, .ok(.init()))
    }

    func getGroup(_ request: Fastchat_V1_GetGroup, requestID: UInt64) async throws {
        let session = try signedInUser()
        let members = try await membership(of: request.name, for: session.username).members
        var info = Fastchat_V1_GroupInfo()
        info.name = request.name
        for member in members {
            guard let user = try await services.users.user(named: member.username) else { continue }
            info.members.append(
                .with {
                    $0.username = member.username
                    $0.role = member.role.rawValue
                    $0.identity = WirePublicIdentity(user)
                }
            )
        }
        outbox.reply(to: requestID, .groupInfo(info))
    }

    func listGroups(requestID: UInt64) async throws {
        let session = try signedInUser()
        var list = Fastchat_V1_GroupList()
        for membership in try await services.store.groups(of: session.username) {
            list.groups.append(
                .with {
                    $0.name = membership.group
                    $0.members = [.with { $0.username = session.username; $0.role = membership.role.rawValue }]
                }
            )
        }
        outbox.reply(to: requestID, .groupList(list))
    }

    func groupAdmin(_ request: Fastchat_V1_GroupAdmin, requestID: UInt64) async throws {
        let session = try signedInUser()
        let admin = session.username
        let members = try await adminMembership(of: request.name, for: admin)
        let name = request.name
        let store = services.store
        switch request.action {
        case .remove:
            guard request.member != admin else {
                throw ProtocolError(.badRequest, "Admins leave a group with leave, not remove.")
            }
            try requireMember(request.member, of: name, in: members)
            _ = try await store.remove(group: name, member: request.member, by: admin)
            await notify(name, "removed", member: request.member, by: admin, to: members.map(\.username))
        case .unban:
            guard try await store.unban(group: name, member: request.member) else {
                throw ProtocolError(.badRequest, "\(request.member) is not banned from \(name).")
            }
            await notify(name, "unbanned", member: request.member, by: admin, to: members.map(\.username))
        case .promote:
            try requireMember(request.member, of: name, in: members)
            _ = try await store.setRole(group: name, member: request.member, role: .admin)
            await notify(name, "promoted", member: request.member, by: admin, to: members.map(\.username))
        case .delete:
            let former = try await store.deleteGroup(name)
            await notify(name, "deleted", member: "", by: admin, to: former.map(\.username))
        case .unspecified, .UNRECOGNIZED:
            throw ProtocolError(.badRequest, "Unknown group admin action.")
        }
        outbox.reply(to: requestID, .ok(.init()))
    }

    func changeGroupPassword(_ request: Fastchat_V1_ChangeGroupPassword, requestID: UInt64) async throws {
        let challenge = try takeChallenge()
        let session = try signedInUser()
        let members = try await adminMembership(of: request.name, for: session.username)
        let (loginKey, kdf) = try await newGroupPassword(
            .changeGroupPassword, group: request.name, loginKey: request.loginKey, kdf: request.kdf,
            signature: request.signature, challenge: challenge, by: session.username)
        _ = try await services.store.setGroupPassword(
            group: request.name,
            loginKey: loginKey,
            kdfLog2N: kdf.log2N,
            kdfR: kdf.r,
            kdfP: kdf.p
        )
        await notify(request.name, "password_changed", member: "", by: session.username, to: members.map(\.username))
        outbox.reply(to: requestID, .ok(.init()))
    }

    // MARK: Checks

    func existingGroup(_ name: String) async throws -> GroupRecord {
        try Names.validate(name, kind: "group name")
        guard let group = try await services.store.group(named: name) else {
            throw ProtocolError(.noSuchGroup, "There is no group named \(name).")
        }
        return group
    }

    /// The group's members, if `username` is one of them.
    /// One store read on the hot path (every group message): a group always has members while it exists, so only
    /// an empty list needs a second look to tell "no such group" from "not a member".
    func membership(of name: String, for username: String) async throws -> (members: [GroupMember], role: GroupRole) {
        try Names.validate(name, kind: "group name")
        let members = try await services.store.members(of: name)
        if members.isEmpty { _ = try await existingGroup(name) }
        guard let me = members.first(where: { $0.username == username }) else {
            throw ProtocolError(.notAMember, "You are not a member of \(name).")
        }
        return (members, me.role)
    }

    func adminMembership(of name: String, for username: String) async throws -> [GroupMember] {
        let (members, role) = try await membership(of: name, for: username)
        guard role == .admin else {
            throw ProtocolError(.notAnAdmin, "Only an admin of \(name) can do that.")
        }
        return members
    }

    private func requireMember(_ username: String, of name: String, in members: [GroupMember]) throws {
        guard members.contains(where: { $0.username == username }) else {
            throw ProtocolError(.notAMember, "\(username) is not a member of \(name).")
        }
    }

    /// A new group password (creation or change): the group login key, proven held by its signature over this
    /// connection's challenge, and its KDF parameters.
    private func newGroupPassword(
        _ purpose: LoginProof.Purpose, group: String, loginKey: Data, kdf: WireKDFParams, signature: Data,
        challenge: Data, by username: String
    ) async throws -> (Data, KDFParameters) {
        let loginKey = try checkedLoginKey(loginKey)
        let kdf = try checkedKDF(kdf)
        try await admitPasswordProof(for: username, what: "group password")
        guard isValidProof(
            purpose, subject: group, actor: username, loginKey: loginKey, signature: signature, challenge: challenge)
        else {
            throw ProtocolError(.badRequest, "The group password is not signed by its login key for this connection's challenge.")
        }
        return (loginKey, kdf)
    }

    // MARK: Notices

    func notifyMembers(of group: String, _ event: String, member: String, by: String) async {
        guard let members = try? await services.store.members(of: group) else { return }
        await notify(group, event, member: member, by: by, to: members.map(\.username))
    }

    /// Queues a notice in each recipient's mailbox (durable, ordered with the group's messages).
    func notify(_ group: String, _ event: String, member: String, by: String, to recipients: [String]) async {
        let notice = Fastchat_V1_GroupNotice.with {
            $0.group = group
            $0.event = event
            $0.member = member
            $0.by = by
            $0.atMs = Int64(Date().timeIntervalSince1970 * 1000)
        }
        guard let payload = try? Fastchat_V1_MailboxItem.with({ $0.notice = notice }).serializedData() else { return }
        let message = IncomingMessage(sender: Notices.sender, messageID: UUID(), recipients: recipients, envelope: payload)
        // Refused only by a stopping node, like any message then; the notice is not stored.
        try? await services.mailbox.submit(.message(message, .notice), ticket: ())
    }
}

enum Notices {
    /// Not a valid username, so no receipt is ever sent for a notice and no user can impersonate the server.
    static let sender = "~server"
}
