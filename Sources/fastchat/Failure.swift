import ArgumentParser
import FastChatClient
import FastChatProtocol
import FastChatStore
import Foundation

/// Prints one plain sentence on stderr and returns the exit code the contract gives the failure:
/// 1 any other failure; 3 cannot reach the server; 10 username taken; 11 no such user; 12 incorrect password;
/// 13 already logged in elsewhere; 20–24 groups; 30 images.
func fail(_ error: any Error) -> ExitCode {
    let (code, sentence): (Int32, String) =
        switch error {
        case let error as ProtocolError:
            (exitCode(for: error.code), error.message)
        case let error as StoreError:
            (1, "\(error)")
        case let error as ExitCode:
            (error.rawValue, "")
        default:
            (1, "\(error)")
        }
    // A server's sentence too: it reaches the terminal.
    let message = TerminalText.safe(sentence)
    if !message.isEmpty {
        FileHandle.standardError.write(Data((message.hasSuffix(".") ? message : message + ".").utf8 + [0x0A]))
    }
    return ExitCode(code)
}

func exitCode(for code: ErrorCode) -> Int32 {
    switch code {
    case .unavailable: 3
    case .usernameTaken, .noSuchUser, .incorrectPassword, .alreadyLoggedIn,
        .noSuchGroup, .incorrectGroupPassword, .notAMember, .notAnAdmin, .groupNameTaken, .badImage:
        Int32(code.rawValue)
    default: 1
    }
}
