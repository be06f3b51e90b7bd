import FastChatProtocol

/// Why a simulated client saw an error. Its `name` is a key of the `client_errors_by_cause` JSON object: stable
/// snake_case, part of the contract.
public struct ClientErrorCause: Hashable, Sendable {
    /// Whether the error failed one request (counted as a send error) or a whole connection (a lost connection).
    public enum Kind: Hashable, Sendable {
        case request, connection
    }

    public let name: String
    public let kind: Kind

    /// A send the cluster answered with an error: `refused_unavailable`, `refused_mailbox_full`, ….
    static func refused(_ code: ErrorCode) -> Self { Self(name: "refused_" + code.snakeCaseName, kind: .request) }
    /// An ack the node answered with an error: `ack_refused_unavailable`, ….
    static func ackRefused(_ code: ErrorCode) -> Self {
        Self(name: "ack_refused_" + code.snakeCaseName, kind: .request)
    }
    /// A send that got no answer within `BenchConnection.answerTimeout` while its connection stayed open.
    static let noAnswer = Self(name: "no_answer", kind: .request)
    static let ackNoAnswer = Self(name: "ack_no_answer", kind: .request)
    /// A message the client could not seal (`--crypto`); it was never sent.
    static let sealFailed = Self(name: "seal_failed", kind: .request)
    /// A connection that closed without a `Move`.
    static let connectionLost = Self(name: "connection_lost", kind: .connection)
    /// A connection that closed after its node's `Move` while sends or acks on it were still unanswered: the client
    /// was still waiting for them before moving.
    static let closedWhileMoving = Self(name: "closed_while_moving", kind: .connection)
    /// A connection that closed after its node's `Move`, everything on it answered, before the bench had moved the
    /// client: the bench's own delay (a real client moves at once), still counted as a client error.
    static let closedAwaitingMove = Self(name: "closed_awaiting_move", kind: .connection)
    /// A client told to move that no node took back within a minute, its last attempt failing to connect or to get
    /// an answer to Hello.
    static let moveUnreachable = Self(name: "move_unreachable", kind: .connection)
    /// A client told to move that no node took back within a minute, its last attempt's sign-in failing:
    /// `move_sign_in_failed_already_logged_in`, `move_sign_in_failed_rate_limited`, … (`unavailable`: also no answer).
    static func moveSignInFailed(_ code: ErrorCode) -> Self {
        Self(name: "move_sign_in_failed_" + code.snakeCaseName, kind: .connection)
    }
}

/// Client errors counted by cause; each loop counts its own and the run merges them.
struct ClientErrorCounts: Sendable, Equatable {
    private(set) var counts: [ClientErrorCause: UInt64] = [:]

    mutating func count(_ cause: ClientErrorCause) {
        counts[cause, default: 0] += 1
    }

    mutating func merge(_ other: ClientErrorCounts) {
        counts.merge(other.counts, uniquingKeysWith: +)
    }

    func total(_ kind: ClientErrorCause.Kind) -> UInt64 {
        counts.reduce(0) { $0 + ($1.key.kind == kind ? $1.value : 0) }
    }

    /// By cause name; causes that did not occur are absent.
    var byName: [String: UInt64] {
        Dictionary(counts.map { ($0.key.name, $0.value) }, uniquingKeysWith: +)
    }
}

extension ErrorCode {
    /// The code's name in snake_case, as cause names use it (`rateLimited`: `rate_limited`).
    var snakeCaseName: String {
        switch self {
        case .unspecified: "unspecified"
        case .internal: "internal"
        case .badRequest: "bad_request"
        case .unavailable: "unavailable"
        case .unsupportedVersion: "unsupported_version"
        case .frameTooLarge: "frame_too_large"
        case .notSignedIn: "not_signed_in"
        case .alreadySignedIn: "already_signed_in"
        case .usernameTaken: "username_taken"
        case .noSuchUser: "no_such_user"
        case .incorrectPassword: "incorrect_password"
        case .alreadyLoggedIn: "already_logged_in"
        case .mailboxFull: "mailbox_full"
        case .noSuchGroup: "no_such_group"
        case .incorrectGroupPassword: "incorrect_group_password"
        case .notAMember: "not_a_member"
        case .notAnAdmin: "not_an_admin"
        case .groupNameTaken: "group_name_taken"
        case .groupFull: "group_full"
        case .badImage: "bad_image"
        case .staleMembers: "stale_members"
        case .rateLimited: "rate_limited"
        case .UNRECOGNIZED(let raw): "code_\(raw)"
        }
    }
}
