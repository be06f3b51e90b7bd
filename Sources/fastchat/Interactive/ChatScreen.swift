import FastChatClient
import Foundation

/// The one owner of what the person sees. It decides where each incoming message goes (printed in the open room,
/// or kept in the unread inbox while the menu is up), pairs ✓ and ✓✓ with the lines they belong to, and does all
/// the writing, so the event pump and the menus never cut into each other's lines or lose the prompt.
///
/// A message is acknowledged only after it has been printed: an acknowledged message is gone from the server, and
/// one that was never shown must come back at the next sign-in.
actor ChatScreen {
    enum Place: Equatable {
        case signedOut
        case menu
        case room(Conversation)
        case leaving
    }

    private struct Outgoing {
        var text: String
        var conversation: Conversation
        var sentAt: Date
        var accepted = false
        /// The ✓✓ can overtake the ✓ (the receipt and the send's reply race to this process).
        var delivered = false
    }

    private let client: ChatClient
    private let input: InputFeed
    private var place = Place.signedOut
    private var inbox: [ReceivedMessage] = []
    private var synced = false
    private var outgoing: [UUID: Outgoing] = [:]
    /// The last tenth of each incoming image's download shown as a progress line.
    private var downloadTenths: [String: Int] = [:]
    private var activePrompt: String?
    private var syncWaiters: [CheckedContinuation<Void, Never>] = []

    init(client: ChatClient, input: InputFeed) {
        self.client = client
        self.input = input
    }

    var unreadCount: Int { inbox.count }

    /// Waits (briefly) for the mail that was pending at sign-in, so the first menu shows the right unread count.
    func waitUntilSynced(atMost limit: Duration) async {
        guard !synced else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                await self.endSyncWait()
            }
            await withCheckedContinuation { syncWaiters.append($0) }
            group.cancelAll()
        }
    }

    private func endSyncWait() {
        let waiters = syncWaiters
        syncWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Where the person is

    func signedIn() {
        place = .menu
    }

    func leaving() {
        place = .leaving
    }

    func enterMenu() {
        place = .menu
    }

    /// Opens the room and shows what was sent to it while the person was in the menu.
    func enterRoom(_ conversation: Conversation) async {
        place = .room(conversation)
        let waiting = inbox.filter { conversation.contains($0) }
        inbox.removeAll { conversation.contains($0) }
        // All printed before the first acknowledgement suspends, so a newer message cannot land among them.
        for message in waiting { emit(ChatStyle.incoming(message)) }
        for message in waiting { await acknowledge(message) }
    }

    /// "Read pending messages": everything unread, oldest first.
    func showInbox() async {
        let messages = inbox
        inbox = []
        guard !messages.isEmpty else {
            emit(ChatStyle.hint("No unread messages."))
            return
        }
        emit(ChatStyle.heading("\(messages.count) unread message\(messages.count == 1 ? "" : "s")"))
        for message in messages { emit(ChatStyle.incoming(message)) }
        for message in messages { await acknowledge(message) }
    }

    // MARK: Writing

    func say(_ text: String) {
        emit(text)
    }

    func showPrompt(_ prompt: String) {
        activePrompt = prompt
        Terminal.write(prompt)
    }

    /// Ends the prompt's line when the terminal did not (input from a pipe, a password without echo, Ctrl-D).
    func answered(echoed: Bool) {
        activePrompt = nil
        if !echoed { Terminal.write("\n") }
    }

    /// Writes whole lines; if a prompt is waiting, the lines go below it and the prompt is shown again.
    private func emit(_ text: String, toStandardError: Bool = false) {
        if activePrompt != nil { Terminal.write("\n") }
        if toStandardError {
            Terminal.warn(text)
        } else {
            Terminal.line(text)
        }
        if let activePrompt { Terminal.write(activePrompt) }
    }

    /// One line of an upload's progress bar.
    func progress(_ fraction: Double, of name: String) {
        emit(ChatStyle.progress(fraction, of: name))
    }

    // MARK: Receipts

    func sending(_ id: UUID, text: String, to conversation: Conversation, at sentAt: Date) {
        outgoing[id] = Outgoing(text: text, conversation: conversation, sentAt: sentAt)
    }

    func accepted(_ id: UUID) {
        guard var line = outgoing[id] else { return }
        emit(ChatStyle.outgoing(line.text, to: line.conversation.label, sentAt: line.sentAt, delivered: line.delivered))
        // A group line ends at ✓: each member's receipt would say only that one of them has it.
        if line.delivered || line.conversation.isGroup {
            outgoing[id] = nil
        } else {
            line.accepted = true
            outgoing[id] = line
        }
    }

    func notSent(_ id: UUID, reason: String) {
        guard let line = outgoing.removeValue(forKey: id) else { return }
        emit(ChatStyle.notSent(line.text, reason: reason))
    }

    private func delivered(_ id: UUID) {
        // Receipts for messages sent by another client (e.g. `fastchat send`) have no line here to complete.
        guard var line = outgoing[id], !line.conversation.isGroup else { return }
        if line.accepted {
            outgoing[id] = nil
            emit(ChatStyle.deliveredLater(line.text, to: line.conversation.label))
        } else {
            line.delivered = true
            outgoing[id] = line
        }
    }

    // MARK: Events

    /// Called for every client event, in order, by the session's single event pump.
    func handle(_ event: ClientEvent) async {
        // Everything below puts remote text on the terminal; ids and seqs are untouched, so acks work as before.
        switch event.forTerminal {
        case .message(let message):
            await arrived(message)
        case .delivered(let id, _):
            delivered(id)
        case .notice(let notice):
            // Short and about membership, so shown at once wherever the person is (and then acknowledged).
            emit(ChatStyle.groupNotice(notice))
            await explainIfShutOut(by: notice)
            try? await client.acknowledge(notice)
        case .keyChanged(let peer, let old, let new):
            emit(ChatStyle.keyChanged(peer: peer, old: old, new: new), toStandardError: true)
        case .rejected(let sender, let reason):
            emit(ChatStyle.rejected(from: sender, reason: reason), toStandardError: true)
        case .imageNotSaved(let failure):
            emit("⚠ \(failure).", toStandardError: true)
        case .synced:
            synced = true
            endSyncWait()
            if place == .menu, !inbox.isEmpty {
                emit("✉ You have \(inbox.count) unread message\(inbox.count == 1 ? "" : "s").")
            }
        case .connectionLost(let reason):
            if place != .signedOut, place != .leaving {
                input.disconnected(reason: reason)
            }
        case .downloading(let name, let fraction):
            // A bar line per tenth, like uploads.
            let tenth = Int(fraction * 10)
            if tenth > downloadTenths[name, default: -1] {
                downloadTenths[name] = tenth == 10 ? nil : tenth
                emit(ChatStyle.progress(fraction, of: name))
            }
        case .reconnected(let node):
            // After a failover (the loss was shown) or a move from a draining node (nothing was lost, nothing shown).
            emit("↻ Now on node \(node).")
        case .disconnected(let reason):
            // Before sign-in the next attempt reconnects by itself; after sign-out the close is ours.
            if place != .signedOut, place != .leaving {
                if client.reconnects {
                    emit("⚠ \(reason) Failing over to another node…")
                } else {
                    input.disconnected(reason: reason)
                }
            }
        }
    }

    private func arrived(_ message: ReceivedMessage) async {
        // A message re-pushed before its acknowledgement landed is already here.
        guard !inbox.contains(where: { $0.id == message.id }) else { return }
        guard case .room(let conversation) = place else {
            inbox.append(message)
            // The replay at sign-in is summed up once, at `.synced`, rather than line by line.
            if synced, place == .menu {
                let whence = message.group.map { " in @\($0)" } ?? ""
                emit("✉ New message from \(message.from)\(whence) — \(inbox.count) unread.")
            }
            return
        }
        emit(conversation.contains(message) ? ChatStyle.incoming(message) : ChatStyle.notice(message))
        await acknowledge(message)
    }

    /// In the room of a group the person was just removed from (or that was deleted), typing on would only fail.
    private func explainIfShutOut(by notice: GroupNotice) async {
        guard place == .room(.group(notice.group)) else { return }
        let me = await client.username
        guard notice.event == "deleted" || (notice.event == "removed" && notice.member == me) else { return }
        emit(ChatStyle.problem("You can no longer send to @\(notice.group). /quit goes back to the menu."))
    }

    private func acknowledge(_ message: ReceivedMessage) async {
        // If this fails the server keeps the message and pushes it again at the next sign-in, where the client
        // drops it as already seen: nothing is lost or shown twice.
        try? await client.acknowledge(message)
    }
}
