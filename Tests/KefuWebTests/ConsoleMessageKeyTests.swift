import Foundation
import KefuCore
import Testing

/// Flash and error messages travel as catalog keys in the URL: a page's own messages show, the
/// catalog's mail, problem and decision texts do not (a link cannot dress a mail template, with
/// its `{link}`, as the console's own message).
@Suite struct ConsoleMessageKeyTests {
    @Test func onlyThePagesOwnMessagesShow() async throws {
        try await TestApp.run { client, _ in
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let saved = try await browser.get("/console/admin?flash=saved")
            #expect(saved.text.contains("data-testid=\"flash\""))
            let released = try await browser.get("/console/holds?flash=hold_released")
            #expect(released.text.contains("data-testid=\"flash\""))
            for key in ["mail_reset_body", "problem_invalid_credentials", "decision_velocity", "hold_released_chat", "no_such_key"] {
                let page = try await browser.get("/console/admin?error=\(key)")
                #expect(page.status == .ok)
                #expect(!page.text.contains("data-testid=\"error\""), "\(key)")
                #expect(!page.text.contains("{link}"))
            }
        }
    }
}
