public enum StoreError: Error, Sendable, Equatable {
    case usernameTaken
    case alreadyLoggedIn(node: String)
    /// The associated text is a complete sentence meant for the user.
    case unsupportedURL(String)
    /// The associated text is a complete sentence meant for the user.
    case cannotOpen(String)
}

extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .usernameTaken:
            "This username is already taken."
        case .alreadyLoggedIn(let node):
            "This user is already logged in on node \(node)."
        case .unsupportedURL(let sentence), .cannotOpen(let sentence):
            sentence
        }
    }
}
