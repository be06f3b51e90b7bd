import ArgumentParser
import FastChatClient
import FastChatProtocol
import Foundation

struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Create, join and administer password-protected groups.",
        subcommands: [
            Create.self, Join.self, Leave.self, Members.self, Remove.self, Unban.self, Promote.self, Password.self,
            Delete.self,
        ]
    )

    /// The group password: $FASTCHAT_GROUP_PASSWORD, else a prompt without echo, else a line of standard input.
    static func password(for group: String, prompt: String) throws -> String {
        if let password = ProcessInfo.processInfo.environment["FASTCHAT_GROUP_PASSWORD"] {
            return password
        }
        let password = try Terminal.secret(prompt: prompt)
        guard !password.isEmpty else { throw ProtocolError(.badRequest, "The group password is empty.") }
        return password
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a group; you become its admin.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var account: UserOption
        @Argument(help: "The group's name.") var name: String

        func run() async throws {
            try await client.withSignedInClient(user: account.user) { chat in
                try await chat.createGroup(name, password: try GroupCommand.password(for: name, prompt: "Password for the new group \(name): "))
                Terminal.line("Created group \(name); you are its admin.")
            }
        }
    }

    struct Join: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Join a group with its password.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var account: UserOption
        @Argument(help: "The group's name.") var name: String

        func run() async throws {
            try await client.withSignedInClient(user: account.user) { chat in
                try await chat.joinGroup(name, password: try GroupCommand.password(for: name, prompt: "Password of group \(name): "))
                Terminal.line("Joined group \(name).")
            }
        }
    }

    struct Leave: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leave a group.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var account: UserOption
        @Argument(help: "The group's name.") var name: String

        func run() async throws {
            try await client.withSignedInClient(user: account.user) { chat in
                try await chat.leaveGroup(name)
                Terminal.line("Left group \(name).")
            }
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a group's members and their roles.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var account: UserOption
        @Argument(help: "The group's name.") var name: String
        @Flag(help: "One JSON object per member.") var json = false

        func run() async throws {
            let json = self.json
            try await client.withSignedInClient(user: account.user) { chat in
                for member in try await chat.members(of: name) {
                    if json {
                        let data = try JSONSerialization.data(
                            withJSONObject: ["name": member.username, "role": member.role], options: [.sortedKeys])
                        Terminal.line(String(decoding: data, as: UTF8.self))
                    } else {
                        Terminal.line("\(member.username) \(member.role)")
                    }
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a member (admins only); they cannot rejoin until unbanned.")
        @OptionGroup var client: ClientOptions
        @OptionGroup var account: UserOption
        @Argument(help: "The group's name.") var name: String
        @Argument(help: "The member to remove.") var member: String

        func run() async throws {
            try await client.withSignedInClient(user: account.user) { chat in
                try await chat.removeMember(member, from: name)
                Terminal.line("Removed \(member) from \(name).")
            }
        }
    }

    struct Unban: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a removed member rejoin (admins only).")
        @OptionGroup var client: ClientOptions
        @OptionGroup var account: UserOption
        @Argument(help: "The group's name.") var name: String
        @Argument(help: "The member to unban.") var member: String

        func run() async throws {
            try await client.withSignedInClient(user: account.user) { chat in
                try await chat.unban(member, in: name)
                Terminal.line("Unbanned \(member) in \(name).")
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a member an admin (admins only).")
        @OptionGroup var client: ClientOptions
        @OptionGroup var account: UserOption
        @Argument(help: "The group's name.") var name: String
        @Argument(help: "The member to promote.") var member: String

        func run() async throws {
            try await client.withSignedInClient(user: account.user) { chat in
                try await chat.promote(member, in: name)
                Terminal.line("\(member) is now an admin of \(name).")
            }
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change the group password (admins only; the new one from $FASTCHAT_GROUP_PASSWORD).")
        @OptionGroup var client: ClientOptions
        @OptionGroup var account: UserOption
        @Argument(help: "The group's name.") var name: String

        func run() async throws {
            try await client.withSignedInClient(user: account.user) { chat in
                try await chat.changeGroupPassword(name, to: try GroupCommand.password(for: name, prompt: "New password for group \(name): "))
                Terminal.line("Changed the password of \(name).")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete the group (admins only).")
        @OptionGroup var client: ClientOptions
        @OptionGroup var account: UserOption
        @Argument(help: "The group's name.") var name: String

        func run() async throws {
            try await client.withSignedInClient(user: account.user) { chat in
                try await chat.deleteGroup(name)
                Terminal.line("Deleted group \(name).")
            }
        }
    }
}
