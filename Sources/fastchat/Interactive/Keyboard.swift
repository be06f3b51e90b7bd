import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can answer a prompt: a typed line, or a reason the session is over.
enum UserInput: Sendable {
    case line(String)
    case endOfInput
    case interrupted
    case disconnected(reason: String)
}

/// Why the session ended before the person chose Quit.
enum SessionEnd: Error {
    case endOfInput
    case interrupted
    case disconnected(reason: String)
}

/// Lets other tasks (the event pump) wake whoever is waiting for a line, e.g. when the server goes away.
struct InputFeed: Sendable {
    fileprivate let continuation: AsyncStream<UserInput>.Continuation

    func disconnected(reason: String) {
        continuation.yield(.disconnected(reason: reason))
    }
}

/// Standard input as a stream of lines, whether it is a terminal or a pipe.
///
/// A dedicated thread blocks in `readLine()` so the cooperative pool never does; it reads ahead only what the
/// terminal (one line at a time) or the pipe hands it, and everything goes through one ordered stream, so password
/// lines and chat lines can never be taken out of order. Owned by the one task that runs the menus.
final class Keyboard {
    let feed: InputFeed
    let isTerminal: Bool
    private var lines: AsyncStream<UserInput>.Iterator
    private let interrupts: any DispatchSourceSignal

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: UserInput.self)
        feed = InputFeed(continuation: continuation)
        isTerminal = isatty(STDIN_FILENO) == 1
        lines = stream.makeAsyncIterator()

        let reader = Thread {
            while let line = readLine(strippingNewline: true) {
                continuation.yield(.line(line))
            }
            continuation.yield(.endOfInput)
            continuation.finish()
        }
        reader.name = "fastchat stdin"
        reader.start()

        // The first Ctrl-C ends the session like Ctrl-D (signing out); a second one, if that hangs, kills it.
        signal(SIGINT, SIG_IGN)
        interrupts = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupts.setEventHandler {
            Keyboard.setEcho(true)
            signal(SIGINT, SIG_DFL)
            continuation.yield(.interrupted)
        }
        interrupts.resume()
    }

    /// The next typed line; throws `SessionEnd` at Ctrl-D, Ctrl-C or when the server is gone.
    func next() async throws(SessionEnd) -> String {
        switch await lines.next() ?? .endOfInput {
        case .line(let line): return line
        case .endOfInput: throw .endOfInput
        case .interrupted: throw .interrupted
        case .disconnected(let reason): throw .disconnected(reason: reason)
        }
    }

    /// Turns the terminal's echo on or off without discarding what was typed ahead (unlike TCSAFLUSH).
    static func setEcho(_ on: Bool) {
        guard isatty(STDIN_FILENO) == 1 else { return }
        var mode = termios()
        guard tcgetattr(STDIN_FILENO, &mode) == 0 else { return }
        if on {
            mode.c_lflag |= tcflag_t(ECHO)
        } else {
            mode.c_lflag &= ~tcflag_t(ECHO)
        }
        tcsetattr(STDIN_FILENO, TCSANOW, &mode)
    }
}
