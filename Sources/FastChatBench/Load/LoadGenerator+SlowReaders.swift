import FastChatProtocol
import NIOCore

extension LoadGenerator {
    /// The `--slow-readers` readers read again, after the send window.
    ///
    /// A reader whose connection is still open just reads it again: the node replays what it held back in the
    /// mailbox as the connection drains below its mark. A connection the node closed — it stayed above the node's
    /// outbound mark for longer than the node's stuck timeout (60 s) — is replaced as a real client would replace
    /// it: a new connection that signs in again and gets everything still pending from the mailbox. Its tracker
    /// moves to the new connection, so a copy received on both still counts as a duplicate.
    func resumeSlowReaders() async throws {
        let readers = Array(channels.indices.suffix(plan.slowReaders))
        let (endpoint, tls, users, loads, channels) = (self.endpoint, self.tls, self.users, self.loads, self.channels)
        try await forEach(readers, concurrency: plan.setupConcurrency) { index in
            let channel = channels[index]
            if channel.channel.isActive {
                // Turning autoRead back on also asks for the first read.
                try await channel.channel.setOption(.autoRead, value: true).get()
                return (index, channel)
            }
            try? await channel.channel.close()
            let load = loads[index % loads.count]
            let user = users[index]
            let old = channel.connection
            let (fresh, _) = try await BenchChannel.open(to: endpoint, tls: tls, load: load)
            // Counted from the first copy the sign-in replays.
            try await fresh.onLoop { connection in
                connection.user = user
                connection.timed = false
                connection.tracker = old.value.tracker
                load.value.replaceReader(old.value, with: connection)
            }
            try await user.signIn(on: fresh)
            return (index, fresh)
        } collect: { index, channel in
            self.channels[index] = channel
        }
        let replaced = zip(self.channels, channels).filter { $0.channel !== $1.channel }.count
        if replaced > 0 {
            logger.info("Slow readers the node had closed signed in again", metadata: ["count": "\(replaced)"])
        }
    }
}
