import Foundation
@testable import FastChatServer
import Testing

/// What a connection can make a node hold stays bounded: looked-up accounts, requests in flight.
@Suite(.timeLimit(.minutes(10))) struct BoundedStateTests {
    @Test func theAccountCacheForgetsTheLeastRecentlyUsed() async throws {
        try await withNode { node in
            for name in ["u1", "u2", "u3", "u4", "u5", "u6"] { _ = try await node.user(name) }
            let cache = UserCache(store: node.store, capacity: 3)
            for name in ["u1", "u2", "u3"] { _ = try await cache.user(named: name) }
            _ = try await cache.user(named: "u1")  // used again: u2 is now the least recent
            for name in ["u4", "u5", "u6"] {
                #expect(try await cache.user(named: name)?.username == name)
                #expect(await cache.count <= 3)
            }
            #expect(try await cache.user(named: "nobody") == nil)
            #expect(await cache.count <= 3)
        }
    }

    @Test func aFullRequestWindowMakesTheNextRequestWait() async throws {
        let window = RequestWindow(limit: 2)
        await window.acquire()
        await window.acquire()
        let third = Task {
            await window.acquire()
            return true
        }
        let waiting = try await within(patience, "the third request waits") {
            while await window.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
            return true
        }
        #expect(waiting)
        await window.release()
        #expect(await third.value)
    }
}
