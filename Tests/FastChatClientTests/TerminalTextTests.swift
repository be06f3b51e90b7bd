@testable import FastChatClient
import Foundation
import Testing

/// Remote text on a terminal: nothing in it may act on the terminal, everything printable passes unchanged.
@Suite struct TerminalTextTests {
    @Test(arguments: ["hello", "ünïcödé ✓ 日本語 😀 👩‍👩‍👧", "مرحبا", "שלום", "a \"quoted\" \\ slash /", ""])
    func printableTextIsUnchanged(_ text: String) {
        #expect(TerminalText.safe(text) == text)
    }

    @Test func controlCharactersBecomeVisible() {
        #expect(TerminalText.safe("a\r\u{1B}[2Kb") == "a␍␛[2Kb")
        #expect(TerminalText.safe("line\none\ttab\u{07}\u{00}") == "line␊one␉tab␇␀")
        #expect(TerminalText.safe("del\u{7F}") == "del␡")
        // C1 controls, such as CSI (0x9B), which some terminals obey like ESC [.
        #expect(TerminalText.safe("x\u{9B}2Ky\u{85}") == "x<U+009B>2Ky<U+0085>")
    }

    @Test func bidiControlsAndSeparatorsBecomeVisible() {
        #expect(TerminalText.safe("invoice\u{202E}fdp.exe") == "invoice<U+202E>fdp.exe")
        #expect(TerminalText.safe("\u{2066}a\u{2069}\u{200F}\u{061C}") == "<U+2066>a<U+2069><U+200F><U+061C>")
        #expect(TerminalText.safe("one\u{2028}two\u{2029}") == "one<U+2028>two<U+2029>")
    }

    @Test func messagesAndNoticesKeepTheirIdentity() {
        let message = ReceivedMessage(
            id: UUID(), seq: 7, from: "ali\u{1B}ce", to: "bob", group: nil, text: "hi\r", image: nil, sentAt: Date(),
            verified: true)
        let safe = message.forTerminal
        #expect(safe.id == message.id && safe.seq == 7 && safe.sentAt == message.sentAt)
        #expect(safe.from == "ali␛ce" && safe.text == "hi␍" && safe.to == "bob")
        guard case .rejected(let from, let reason) = ClientEvent.rejected(from: "\u{1B}]0;x", reason: "bad\n").forTerminal
        else {
            Issue.record("the event kind changed")
            return
        }
        #expect(from == "␛]0;x" && reason == "bad␊")
    }
}
