/// A failure with a wire error code: what the server answers, and what the client reports (the code is its exit code).
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public init(_ error: Fastchat_V1_Error) {
        self.init(error.code, error.message.isEmpty ? "The server reported an error (\(error.code))." : error.message)
    }

    public var description: String { message }
}
