import FastChatClient
import FastChatProtocol
import Foundation
import Testing

/// A group has at most `--max-group-members` members: one more join is refused with a typed error, and a place
/// freed by a leaving member can be taken again.
@Suite(.timeLimit(.minutes(10))) struct GroupLimitTests {
    @Test(arguments: Backend.all)
    func aJoinBeyondTheMemberLimitIsRefused(_ backend: Backend) async throws {
        try await withNode(on: backend, configure: { $0.maxGroupMembers = 3 }) { node in
            let alice = try await node.user("alice")
            try await alice.createGroup("trio", password: "trio pw")
            let bob = try await node.user("bob")
            let carol = try await node.user("carol")
            try await bob.joinGroup("trio", password: "trio pw")
            try await carol.joinGroup("trio", password: "trio pw")
            // A member joining again takes no new place.
            try await carol.joinGroup("trio", password: "trio pw")

            let dave = try await node.user("dave")
            let error = await #expect(throws: ProtocolError.self) {
                try await dave.joinGroup("trio", password: "trio pw")
            }
            #expect(error?.code == .groupFull, "\(String(describing: error))")
            #expect(error?.message == "trio already has 3 members, as many as allowed.")

            try await carol.leaveGroup("trio")
            try await dave.joinGroup("trio", password: "trio pw")
            #expect(try await alice.members(of: "trio").map(\.username).sorted() == ["alice", "bob", "dave"])
        }
    }
}
