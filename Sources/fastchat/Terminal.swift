import FastChatProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading from the person at the keyboard (or from a script's standard input).
enum Terminal {
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// $FASTCHAT_PASSWORD, else a prompt without echo on a terminal, else the first line of standard input.
    static func password(prompt: String) throws -> String {
        if let password = ProcessInfo.processInfo.environment["FASTCHAT_PASSWORD"] {
            return password
        }
        return try secret(prompt: prompt)
    }

    static func secret(prompt: String) throws -> String {
        guard isInteractive else {
            guard let line = readLine(strippingNewline: true) else {
                throw ProtocolError(.badRequest, "No password given (set FASTCHAT_PASSWORD or pass it on standard input).")
            }
            return line
        }
        write(prompt)
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            write("\n")
        }
        guard let line = readLine(strippingNewline: true) else {
            throw ProtocolError(.badRequest, "No password given.")
        }
        return line
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Unbuffered, so a script reading the pipe sees each line as soon as it is acknowledged.
    static func line(_ text: String) {
        write(text + "\n")
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
