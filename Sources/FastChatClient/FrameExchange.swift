import FastChatProtocol
import NIOCore

/// What a connection tells whoever owns it, in the order it happened on the wire: each frame the server pushed on
/// its own (request id 0), and finally that it closed, with the reason its waiting requests failed with.
enum ConnectionNews: Sendable {
    case push(Frame.OneOf_Body)
    case closed(ProtocolError)
}

/// The client's end of a connection, last in the pipeline and confined to the channel's event loop: it pairs each
/// reply with the request of the same id, hands pushes to `news` as they are read, and fails what still waits when
/// the channel closes. Since the pipeline reads and writes for as long as the channel lives, no task has to pump
/// the connection, and nothing is left running once it is closed.
final class FrameExchange: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame
    typealias Answer = CheckedContinuation<Frame.OneOf_Body, any Error>

    private struct AnsweredWaiter {
        var promise: EventLoopPromise<Void>
        var timer: Scheduled<Void>?
    }

    /// Where pushes and the close go; dropped at the close, which also breaks the cycle through the connection.
    var news: ((ConnectionNews) -> Void)?
    private let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var nextRequestID: UInt64 = 1
    private var waiting: [UInt64: Answer] = [:]
    private var answeredWaiters: [AnsweredWaiter] = []
    /// Set at the close: what the requests still waiting then, and every later one, fail with.
    private(set) var closedReason: ProtocolError?
    /// An error the server pushed (request id 0), or a framing error, just before the close: the better reason.
    private var serverReason: ProtocolError?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A channel that never became active is removed without `channelInactive`.
        closed()
        self.context = nil
    }

    /// Sends `body` under a fresh request id (under 0 when `quietly`); `answer` (if any) gets the reply, or the
    /// reason the connection closed.
    func send(_ body: Frame.OneOf_Body, answer: Answer?, quietly: Bool = false) {
        guard closedReason == nil, let context else {
            answer?.resume(throwing: closedReason ?? Self.closedByPeer)
            return
        }
        var id: UInt64 = 0
        if !quietly {
            id = nextRequestID
            nextRequestID += 1
            if let answer { waiting[id] = answer }
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenFailure { [self] error in
            // As a failed write ended the old read/write pump: the connection closes, a ProtocolError its reason.
            if let error = error as? ProtocolError { serverReason = serverReason ?? error }
            self.context?.close(promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(Frame(requestID: id, body)), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let body = frame.body else { return }
        guard frame.requestID != 0 else {
            switch body {
            case .acceptedSends(let batch):
                // Version 5: each entry answers its send as an `Accepted` under the send's request id would.
                for send in batch.sends {
                    answer(send.requestID, with: .accepted(.with { $0.messageID = send.messageID }))
                }
                return
            case .error(let error):
                serverReason = ProtocolError(error)
            default:
                break
            }
            news?(.push(body))
            return
        }
        answer(frame.requestID, with: body)
    }

    private func answer(_ requestID: UInt64, with body: Frame.OneOf_Body) {
        guard requestID != 0, let answer = waiting.removeValue(forKey: requestID) else { return }
        if case .error(let error) = body {
            answer.resume(throwing: ProtocolError(error))
        } else {
            answer.resume(returning: body)
        }
        if waiting.isEmpty { releaseAnsweredWaiters() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? ProtocolError { serverReason = serverReason ?? error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed()
        context.fireChannelInactive()
    }

    /// Succeeds once no request sent so far waits for its reply (or the connection closed), or after `limit`.
    func allAnswered(within limit: TimeAmount) -> EventLoopFuture<Void> {
        guard closedReason == nil, !waiting.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        let promise = eventLoop.makePromise(of: Void.self)
        let timer = eventLoop.assumeIsolated().scheduleTask(in: limit) { [self] in
            answeredWaiters.removeAll { $0.promise.futureResult === promise.futureResult }
            promise.succeed()
        }
        answeredWaiters.append(AnsweredWaiter(promise: promise, timer: timer))
        return promise.futureResult
    }

    private func releaseAnsweredWaiters() {
        let waiters = answeredWaiters
        answeredWaiters = []
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.promise.succeed()
        }
    }

    private func closed() {
        guard closedReason == nil else { return }
        let reason = serverReason ?? Self.closedByPeer
        closedReason = reason
        let pending = waiting
        waiting = [:]
        for answer in pending.values { answer.resume(throwing: reason) }
        releaseAnsweredWaiters()
        let news = self.news
        self.news = nil
        news?(.closed(reason))
    }

    static let closedByPeer = ProtocolError(.unavailable, "The connection to the server was closed.")
}
