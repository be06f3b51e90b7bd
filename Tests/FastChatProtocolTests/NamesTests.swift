import FastChatProtocol
import Testing

/// Usernames (and later group names): 1–32 characters of ASCII letters, digits, `_`, `-` and `.` (issue 2, item 3).
@Suite("Names")
struct NamesTests {
    @Test(
        "Acceptable names",
        arguments: [
            "a", "Z", "7", "_", "-", ".", "alice", "Bob", "bob_2", "x-y.z", "...", "__init__", "0123456789",
            String(repeating: "a", count: Names.maxLength),
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
        ]
    )
    func acceptable(name: String) throws {
        #expect(Names.problem(with: name) == nil)
        try Names.validate(name)
    }

    @Test("The maximum length is 32")
    func maximumLength() {
        #expect(Names.maxLength == 32)
        #expect(Names.problem(with: String(repeating: "b", count: 32)) == nil)
        #expect(Names.problem(with: String(repeating: "b", count: 33)) == "The username is longer than 32 characters.")
    }

    @Test("An empty name is refused")
    func empty() {
        #expect(Names.problem(with: "") == "The username is empty.")
        #expect(Names.problem(with: "", kind: "group name") == "The group name is empty.")
    }

    @Test(
        "Characters outside letters, digits, '_', '-' and '.' are refused",
        arguments: [
            "alice bob", " alice", "alice ", "al\tice", "al\nice", "alice@example", "a/b", "a\\b", "a:b", "a;b",
            "a'b", "a\"b", "a*", "a+b", "a,b", "a#b", "émile", "naïve", "日本", "alice😀", "Ａlice", "a\u{0}b",
            "a\u{200B}b", "ß",
        ]
    )
    func refusedCharacters(name: String) throws {
        let problem = try #require(Names.problem(with: name))
        #expect(problem.contains("may only contain letters, digits, '_', '-' and '.'"))
        #expect(problem.contains("\"\(name)\""))
        #expect(problem.hasSuffix("."))
    }

    @Test("Length is counted in Unicode scalars, so a long non-ASCII name is too long before it is invalid")
    func lengthBeforeCharacters() {
        #expect(Names.problem(with: String(repeating: "é", count: 33)) == "The username is longer than 32 characters.")
        // 32 scalars of a refused character: refused for the characters, not the length.
        #expect(Names.problem(with: String(repeating: "é", count: 32))?.contains("may only contain") == true)
        // A combining sequence is two scalars: 17 × "e\u{301}" is 34 scalars (17 characters).
        #expect(Names.problem(with: String(repeating: "e\u{301}", count: 17)) == "The username is longer than 32 characters.")
    }

    @Test("The kind is named in the sentence")
    func kindInMessage() {
        #expect(Names.problem(with: "a b", kind: "group name")?.hasPrefix("The group name \"a b\"") == true)
        #expect(Names.problem(with: String(repeating: "g", count: 40), kind: "group name")
            == "The group name is longer than 32 characters.")
    }

    @Test("validate throws BAD_REQUEST with the same sentence")
    func validateThrows() {
        for name in ["", "a b", String(repeating: "z", count: 33)] {
            let error = #expect(throws: ProtocolError.self) { try Names.validate(name) }
            #expect(error?.code == .badRequest)
            #expect(error?.message == Names.problem(with: name))
        }
    }
}
