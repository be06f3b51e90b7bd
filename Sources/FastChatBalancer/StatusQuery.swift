import FastChatProtocol
import FastChatTLS
import Foundation
import NIOCore
import NIOPosix

/// Asks a balancer for the cluster as it sees it (what `fastchat status` shows).
public enum StatusQuery {
    /// Sends `GetStatus` as the first frame and returns the `ClusterStatus` answer. Failures are `ProtocolError`s
    /// whose message is one sentence: `UNAVAILABLE` when the balancer cannot be reached or does not answer within
    /// `timeout`, the balancer's own error otherwise.
    public static func fetch(
        host: String,
        port: Int,
        tls: ClientTLS?,
        timeout: Duration = .seconds(5),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Fastchat_V1_ClusterStatus {
        let reply = try await exchange(
            Frame(requestID: 1, .getStatus(.init())), host: host, port: port, tls: tls, timeout: timeout,
            eventLoopGroup: eventLoopGroup)
        switch reply.body {
        case .clusterStatus(let status):
            return status
        case .error(let error):
            throw ProtocolError(error)
        default:
            throw ProtocolError(
                .badRequest, "The server at \(address(host, port)) answered GetStatus with something unexpected.")
        }
    }

    /// Connects, sends `frame` and returns the first frame the peer answers with.
    static func exchange(
        _ frame: Frame,
        host: String,
        port: Int,
        tls: ClientTLS?,
        timeout: Duration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Frame {
        let target = address(host, port)
        let channel: NIOAsyncChannel<Frame, Frame>
        let check: ServerCheck?
        do {
            (channel, check) = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(.nanoseconds(timeout.nanoseconds))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let check = try tls?.addHandler(to: channel, host: host, port: port)
                        try channel.pipeline.syncOperations.addFrameCodec()
                        return (try NIOAsyncChannel<Frame, Frame>(wrappingChannelSynchronously: channel), check)
                    }
                }
        } catch {
            throw ProtocolError(.unavailable, "Cannot reach the balancer at \(target) (\(describe(error))).")
        }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(frame)
                guard let reply = try await inbound.firstFrame(within: timeout) else {
                    throw ProtocolError(
                        .unavailable, "The server at \(target) closed the connection without answering.")
                }
                return reply
            }
        } catch is FrameTimeout {
            throw ProtocolError(.unavailable, "The server at \(target) did not answer within \(timeout).")
        } catch let error as ProtocolError {
            if let failure = await check?.failure { throw failure }
            throw error
        } catch {
            if let failure = await check?.failure { throw failure }
            throw ProtocolError(.unavailable, "The connection to \(target) failed (\(describe(error))).")
        }
    }

    private static func address(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// The short reason a connection failed, for a one-sentence error.
private func describe(_ error: any Error) -> String {
    if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
        return describe(first.error)
    }
    if let error = error as? IOError {
        return String(cString: strerror(error.errnoCode)).lowercased()
    }
    if error is ChannelError { return "timed out" }
    return "\(error)"
}
