import FastChatStore
import Testing

@Suite struct StoreURLTests {
    @Test(arguments: [
        ("sqlite:fastchat.db", StoreURL.sqlite(path: "fastchat.db")),
        ("sqlite:./fastchat-data/fastchat.db", .sqlite(path: "./fastchat-data/fastchat.db")),
        ("sqlite:/var/lib/fastchat/chat.db", .sqlite(path: "/var/lib/fastchat/chat.db")),
        ("sqlite:///var/lib/fastchat/chat.db", .sqlite(path: "/var/lib/fastchat/chat.db")),
        ("sqlite://data/chat.db", .sqlite(path: "data/chat.db")),
        ("sqlite:dir with spaces/chat.db", .sqlite(path: "dir with spaces/chat.db")),
        ("postgres://fastchat:secret@db.example/fastchat", .postgres("postgres://fastchat:secret@db.example/fastchat")),
        ("postgresql://db.example/fastchat", .postgres("postgresql://db.example/fastchat")),
    ])
    func parses(_ text: String, _ expected: StoreURL) throws {
        #expect(try StoreURL(parsing: text) == expected)
    }

    @Test(arguments: ["", "sqlite:", "sqlite://", "fastchat.db", "/tmp/chat.db", "mysql://db/fastchat", "SQLITE:chat.db"])
    func rejects(_ text: String) throws {
        let error = #expect(throws: StoreError.self) { try StoreURL(parsing: text) }
        guard case .unsupportedURL(let sentence) = error else {
            Issue.record("expected unsupportedURL, got \(String(describing: error))")
            return
        }
        #expect(sentence.hasSuffix("."))
        #expect(sentence.contains("sqlite:PATH"))
    }

    @Test func descriptionHidesPostgresCredentials() throws {
        #expect(try StoreURL(parsing: "postgres://u:secret@h/db").description.contains("secret") == false)
        #expect(try StoreURL(parsing: "sqlite:chat.db").description == "sqlite:chat.db")
    }

    @Test func errorsReadAsSentences() {
        #expect(StoreError.usernameTaken.description == "This username is already taken.")
        #expect(StoreError.alreadyLoggedIn(node: "s2").description == "This user is already logged in on node s2.")
        #expect(StoreError.cannotOpen("Cannot open X.").description == "Cannot open X.")
    }
}
