public enum StoreError: Error, Sendable, Equatable {
    case usernameTaken
    case alreadyLoggedIn(node: String)
    case groupNameTaken
    case noSuchGroup
    /// The associated text is a complete sentence meant for the user.
    case blobRejected(String)
    /// The uploader's stored images, with the new one, would exceed their upload quota.
    case uploadQuotaExceeded(storedBytes: Int, quota: Int)
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
        case .groupNameTaken:
            "This group name is already taken."
        case .noSuchGroup:
            "This group does not exist."
        case .unsupportedURL(let sentence), .cannotOpen(let sentence), .blobRejected(let sentence):
            sentence
        case .uploadQuotaExceeded(let stored, let quota):
            "Your images waiting on the server (\(stored >> 20) MiB) leave no room for this one (at most \(quota >> 20) MiB); "
                + "try again once recipients have read them."
        }
    }
}
