/// The rule for user (and, later, group) names: 1–32 characters of ASCII letters, digits, `_`, `-` and `.`.
public enum Names {
    public static let maxLength = 32

    /// Returns nil when `name` is acceptable, else a sentence saying what is wrong with it.
    public static func problem(with name: String, kind: String = "username") -> String? {
        if name.isEmpty { return "The \(kind) is empty." }
        if name.unicodeScalars.count > maxLength {
            return "The \(kind) is longer than \(maxLength) characters."
        }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", "-", ".": true
            default: false
            }
        }
        if !allowed {
            return "The \(kind) \"\(name)\" may only contain letters, digits, '_', '-' and '.'."
        }
        return nil
    }

    public static func validate(_ name: String, kind: String = "username") throws(ProtocolError) {
        if let problem = problem(with: name, kind: kind) {
            throw ProtocolError(.badRequest, problem)
        }
    }
}
