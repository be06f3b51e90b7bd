import ArgumentParser
import FastChatClient
import FastChatProtocol
import FastChatStore
import FastChatTLS
import Foundation

/// Prints one plain sentence on stderr and returns the exit code the contract gives the failure:
/// 1 any other failure; 3 cannot reach the server; 4 the server is not the one trusted; 5 rate-limited; 10 username taken; 11 no such user; 12 incorrect password;
/// 13 already logged in elsewhere; 14 a peer's key changed and is not trusted; 20–24 groups; 30 images; 31 a received
/// image could not be saved (the message stays pending).
/// `user` (the signed-in user, if any) completes the command a sentence suggests.
func fail(_ error: any Error, user: String? = nil) -> ExitCode {
    let (code, sentence): (Int32, String) =
        switch error {
        case let error as ProtocolError:
            (exitCode(for: error.code), error.message)
        case let error as PeerKeyChanged:
            (
                14,
                "\(error.peer)'s identity key has CHANGED (pinned \(error.pinnedFingerprint), now "
                    + "\(error.presentedFingerprint)), so nothing was sent; only if \(error.peer) confirms the new key, "
                    + "accept it with: fastchat trust --user \(user ?? "NAME") \(error.peer) --fingerprint "
                    + "'\(error.presentedFingerprint)'."
            )
        case let error as FingerprintMismatch:
            (
                14,
                "The server presents \(error.presented) as \(error.peer)'s key, not \(error.expected), "
                    + "so nothing was trusted."
            )
        case let error as ImageNotSaved:
            (31, error.description)
        case let error as ServerNotTrusted:
            (4, error.description)
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
    case .rateLimited: 5
    case .usernameTaken, .noSuchUser, .incorrectPassword, .alreadyLoggedIn, .mailboxFull,
        .noSuchGroup, .incorrectGroupPassword, .notAMember, .notAnAdmin, .groupNameTaken, .groupFull, .badImage:
        Int32(code.rawValue)
    default: 1
    }
}
