import FastChatCrypto
import FastChatProtocol
import Foundation

public struct GroupMemberInfo: Sendable, Hashable {
    public var username: String
    /// "admin" or "member".
    public var role: String
}

public struct GroupSummary: Sendable, Hashable {
    public var name: String
    /// The caller's role in the group.
    public var role: String
}

extension ChatClient {
    public func createGroup(_ name: String, password: String) async throws {
        let account = try signedIn()
        try Names.validate(name, kind: "group name")
        let secrets = try GroupPassword.derive(password: password, group: name, parameters: options.kdf)
        let challenge = try await freshChallenge()
        var request = Fastchat_V1_CreateGroup()
        request.name = name
        request.loginKey = secrets.loginKey.publicKey
        request.signature = try await sign(
            .createGroup, subject: name, actor: account.username, by: secrets.loginKey, challenge: challenge)
        request.kdf = WireKDFParams(options.kdf)
        _ = try await self.request(.createGroup(request))
    }

    public func joinGroup(_ name: String, password: String) async throws {
        let account = try signedIn()
        try Names.validate(name, kind: "group name")
        guard case .authParams(let params) = try await request(.getGroupAuthParams(.with { $0.name = name })) else {
            throw ProtocolError(.internal, "The server answered with something unexpected.")
        }
        let kdf = try checkedServerKDF(KDFParameters(params.kdf), for: "group password")
        let secrets = try GroupPassword.derive(password: password, group: name, parameters: kdf)
        var request = Fastchat_V1_JoinGroup()
        request.name = name
        request.signature = try await sign(
            .joinGroup, subject: name, actor: account.username, by: secrets.loginKey, challenge: params.challenge)
        if params.legacy {
            // A group from before login keys: its old auth key, this once, and the key that replaces its hash.
            request.legacyAuthKey = secrets.authKey
            request.loginKey = secrets.loginKey.publicKey
        }
        _ = try await self.request(.joinGroup(request))
    }

    public func leaveGroup(_ name: String) async throws {
        _ = try signedIn()
        _ = try await request(.leaveGroup(.with { $0.name = name }))
    }

    public func members(of group: String) async throws -> [GroupMemberInfo] {
        try await groupInfo(group).members.map { GroupMemberInfo(username: $0.username, role: $0.role) }
    }

    /// The groups the signed-in user belongs to, with their role in each.
    public func groups() async throws -> [GroupSummary] {
        _ = try signedIn()
        guard case .groupList(let list) = try await request(.listGroups(.init())) else {
            throw ProtocolError(.internal, "The server answered with something unexpected.")
        }
        return list.groups.map { GroupSummary(name: $0.name, role: $0.members.first?.role ?? "member") }
    }

    public func removeMember(_ member: String, from group: String) async throws {
        try await administer(group, .remove, member: member)
    }

    public func unban(_ member: String, in group: String) async throws {
        try await administer(group, .unban, member: member)
    }

    public func promote(_ member: String, in group: String) async throws {
        try await administer(group, .promote, member: member)
    }

    public func deleteGroup(_ group: String) async throws {
        try await administer(group, .delete, member: "")
    }

    public func changeGroupPassword(_ group: String, to password: String) async throws {
        let account = try signedIn()
        try Names.validate(group, kind: "group name")
        let secrets = try GroupPassword.derive(password: password, group: group, parameters: options.kdf)
        let challenge = try await freshChallenge()
        var request = Fastchat_V1_ChangeGroupPassword()
        request.name = group
        request.loginKey = secrets.loginKey.publicKey
        request.signature = try await sign(
            .changeGroupPassword, subject: group, actor: account.username, by: secrets.loginKey, challenge: challenge)
        request.kdf = WireKDFParams(options.kdf)
        _ = try await self.request(.changeGroupPassword(request))
    }

    /// Seals `text` once for the group's current members and returns once the server stored every copy (✓).
    /// If the membership changes between fetching and sending, the server refuses and the message is resealed.
    @discardableResult
    public func send(_ text: String, toGroup group: String, id: UUID = UUID()) async throws -> UUID {
        try await send(try content(text: text, id: id), toGroup: group)
    }

    func send(_ content: MessageContent, toGroup group: String, blobIDs: [Data] = []) async throws -> UUID {
        let account = try signedIn()
        try Names.validate(group, kind: "group name")
        guard let id = UUID(bytes: content.messageID) else {
            throw ProtocolError(.internal, "The message id is malformed.")
        }
        var content = content
        content.group = group
        let plaintext = try content.serializedData()
        for attempt in 1...3 {
            let members = try await groupInfo(group).members.filter { $0.username != account.username }
            var recipients: [(username: String, key: PublicIdentity)] = []
            for member in members {
                recipients.append((member.username, try await trustedKey(of: member.username)))
            }
            let sealed = try GroupEnvelopeCrypto.seal(
                plaintext,
                messageID: id,
                sender: account.username,
                senderIdentity: account.identity,
                group: group,
                recipients: recipients
            )
            var envelope = Envelope(sealed)
            envelope.blobIds = blobIDs
            do {
                try await deliver(envelope)
                return id
            } catch let error as ProtocolError where error.code == .staleMembers && attempt < 3 {
                continue
            }
        }
        throw ProtocolError(.internal, "The group's membership kept changing; try again.")
    }

    func groupInfo(_ group: String) async throws -> Fastchat_V1_GroupInfo {
        _ = try signedIn()
        try Names.validate(group, kind: "group name")
        guard case .groupInfo(let info) = try await request(.getGroup(.with { $0.name = group })) else {
            throw ProtocolError(.internal, "The server answered with something unexpected.")
        }
        return info
    }

    private func administer(_ group: String, _ action: Fastchat_V1_GroupAdmin.Action, member: String) async throws {
        _ = try signedIn()
        try Names.validate(group, kind: "group name")
        if action != .delete { try Names.validate(member) }
        var request = Fastchat_V1_GroupAdmin()
        request.name = group
        request.action = action
        request.member = member
        _ = try await self.request(.groupAdmin(request))
    }
}

extension WireKDFParams {
    public init(_ parameters: KDFParameters) {
        self.init()
        log2N = UInt32(parameters.log2N)
        r = UInt32(parameters.r)
        p = UInt32(parameters.p)
    }
}

extension KDFParameters {
    public init(_ wire: WireKDFParams) {
        self.init(log2N: Int(wire.log2N), r: Int(wire.r), p: Int(wire.p))
    }
}

extension Envelope {
    public init(_ sealed: SealedGroupEnvelope) {
        self.init()
        version = sealed.version
        messageID = sealed.messageID.bytes
        sender = sealed.sender
        group = sealed.group
        ciphertext = sealed.ciphertext
        signature = sealed.signature
        keys = sealed.keys.map { key in
            .with {
                $0.recipient = key.recipient
                $0.encapsulatedKey = key.encapsulatedKey
                $0.ciphertext = key.ciphertext
            }
        }
    }
}

extension SealedGroupEnvelope {
    public init(_ envelope: Envelope) throws {
        guard let id = UUID(bytes: envelope.messageID) else {
            throw ProtocolError(.badRequest, "the message id is malformed")
        }
        self.init(
            version: envelope.version,
            messageID: id,
            sender: envelope.sender,
            group: envelope.group,
            ciphertext: envelope.ciphertext,
            signature: envelope.signature,
            keys: envelope.keys.map {
                WrappedKey(recipient: $0.recipient, encapsulatedKey: $0.encapsulatedKey, ciphertext: $0.ciphertext)
            }
        )
    }
}
