import Foundation
import KefuCore
import Testing

/// The board's text rules: line breaks counted once, direction controls out of titles, and
/// only characters a reader can see count as text.
@Suite struct BoardTextTests {
    @Test func aTextareaFullOfLineBreaksFitsTheLimitItWasTypedAgainst() throws {
        // 1,960 letters and 40 line breaks as a browser submits them (CRLF): 2,000 characters.
        let typed = Array(repeating: String(repeating: "a", count: 49), count: 40).joined(separator: "\r\n") + "a"
        #expect(BoardText.normalized(typed).unicodeScalars.count == 2000)
        #expect(try FeedbackComment.validated(typed).contains("\n"))
        #expect(throws: ValidationFailure.self) { try FeedbackComment.validated(typed + "a") }
    }

    @Test func directionControlsLeaveTitlesAndInvisibleTextIsNoText() throws {
        let (title, body) = try FeedbackPost.validated(title: "Labels\u{202E} please\u{2066}", body: "Line one\r\nLine two")
        #expect(title == "Labels please")
        #expect(body == "Line one\nLine two")
        for invisible in ["\u{2060}\u{2060}\u{2060}\u{2060}", "\u{3164}\u{3164}\u{3164}\u{3164}", "\u{2800}\u{2800}\u{2800}\u{2800}", "\u{00AD}\u{00AD}\u{00AD}\u{00AD}"] {
            #expect(throws: ValidationFailure.self) { try FeedbackPost.validated(title: invisible, body: "b") }
            #expect(throws: ValidationFailure.self) { try FeedbackPost.validated(title: "A title", body: invisible) }
            #expect(throws: ValidationFailure.self) { try FeedbackComment.validated(invisible) }
        }
        #expect(try FeedbackPost.validated(title: "提币地址", body: "好").title == "提币地址")
    }
}
