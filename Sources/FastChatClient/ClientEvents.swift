import FastChatProtocol

/// What the client's events are made from, in arrival order: events ready for the caller, and each connection's
/// news, which becomes events only when someone reads the events.
enum Inbound: Sendable {
    case event(ClientEvent)
    case push(Frame.OneOf_Body, from: FrameConnection)
    case ended(FrameConnection)
    /// Queued behind `.disconnected`, so the reader hears of the loss before the failover holds it up.
    case failOver(FrameConnection)
}

/// Where the client puts an event: in the inbox, behind what arrived before it.
struct EventSink: Sendable {
    let inbox: AsyncStream<Inbound>.Continuation

    func yield(_ event: ClientEvent) {
        inbox.yield(.event(event))
    }
}

/// The client's events. Reading them is what handles what the server pushes (opening messages, following a node
/// that drains, failing over when the node goes away), one push after another, in the reader's own task: that
/// task owns the work, so when it is cancelled or stops reading, no work of the client's is left running. Pushes
/// wait (in order) while nobody reads. One reader at a time, as with `AsyncStream`; a cancelled reader ends the
/// events for good.
public struct ClientEvents: AsyncSequence, Sendable {
    public typealias Element = ClientEvent
    public typealias Failure = Never

    /// Weak, so events kept by a reader do not keep a client nobody else uses: its events end with it.
    weak var client: ChatClient?
    let inbox: AsyncStream<Inbound>

    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, inbox: inbox.makeAsyncIterator())
    }

    public struct Iterator: AsyncIteratorProtocol {
        weak var client: ChatClient?
        var inbox: AsyncStream<Inbound>.Iterator

        public mutating func next() async -> ClientEvent? {
            while let item = await inbox.next() {
                if case .event(let event) = item { return event }
                guard let client else { return nil }
                // Events this yields queue behind the news already waiting, whose events come later still: the order
                // of the pushes is the order of their events.
                await client.handle(item)
            }
            return nil
        }
    }
}
