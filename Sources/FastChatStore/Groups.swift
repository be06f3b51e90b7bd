import Foundation

public enum GroupRole: String, Sendable, Hashable, Codable {
    case admin
    case member
}

/// A group as the server stores it. Like `UserRecord`, nothing secret in the clear: the password
/// hash is made by the crypto layer and group messages are end-to-end encrypted.
public struct GroupRecord: Sendable, Hashable {
    /// Unique and case-sensitive, like usernames.
    public var name: String
    public var verifier: PasswordVerifier
    /// The client's scrypt parameters for the group password.
    public var kdfLog2N: Int
    public var kdfR: Int
    public var kdfP: Int
    public var createdBy: String
    public var createdAt: Date

    public init(
        name: String,
        verifier: PasswordVerifier,
        kdfLog2N: Int,
        kdfR: Int,
        kdfP: Int,
        createdBy: String,
        createdAt: Date = Date()
    ) {
        self.name = name
        self.verifier = verifier
        self.kdfLog2N = kdfLog2N
        self.kdfR = kdfR
        self.kdfP = kdfP
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// One member of a group, as `members(of:)` lists them.
public struct GroupMember: Sendable, Hashable {
    public var username: String
    public var role: GroupRole
    public var joinedAt: Date

    public init(username: String, role: GroupRole, joinedAt: Date) {
        self.username = username
        self.role = role
        self.joinedAt = joinedAt
    }
}

/// One group a user belongs to, as `groups(of:)` lists them.
public struct GroupMembership: Sendable, Hashable {
    public var group: String
    public var role: GroupRole

    public init(group: String, role: GroupRole) {
        self.group = group
        self.role = role
    }
}

public enum GroupJoinOutcome: Sendable, Hashable {
    /// Now a member, with the `member` role.
    case joined
    /// Was a member already; the role is unchanged.
    case alreadyMember
    /// An admin removed this user and nobody has unbanned them since; nothing changed.
    case banned
    /// The group has as many members as allowed; nothing changed.
    case full
}
