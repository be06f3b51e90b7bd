/// A failure with a wire error code: what the server answers, and what the client reports (the code is its exit code).
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    /// With `.rateLimited`: how long to wait before trying again.
    public var retryAfterSeconds: Int?

    public init(_ code: ErrorCode, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public init(_ error: Fastchat_V1_Error) {
        self.init(
            error.code, error.message.isEmpty ? "The server reported an error (\(error.code))." : error.message,
            retryAfterSeconds: error.retryAfterSeconds == 0 ? nil : Int(error.retryAfterSeconds))
    }

    /// The wire form, as a node answers it.
    public var wire: Fastchat_V1_Error {
        var error = Fastchat_V1_Error()
        error.code = code
        error.message = message
        // Clamped, never trapped: the value is ours, but it crosses into a 32-bit field.
        error.retryAfterSeconds = retryAfterSeconds.map { UInt32(clamping: max(0, $0)) } ?? 0
        return error
    }

    public var description: String { message }
}
