import Foundation
import KefuCore
import Testing

@Suite struct MailThreadingTests {
    let customer = ContactID.generate()
    let stranger = ContactID.generate()
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func candidate(_ status: ConversationStatus, contact: ContactID, idleDays: Double = 0) -> MailThreading.Candidate {
        .init(conversationId: .generate(), contactId: contact, status: status, lastActivityAt: now.addingTimeInterval(-idleDays * 86400))
    }

    @Test func referencesWinThenTheReplyAddressThenTheNumberFromItsOwnCustomer() {
        let byReference = candidate(.open, contact: customer)
        let byToken = candidate(.open, contact: customer)
        let byNumber = candidate(.open, contact: customer)
        func decide(_ r: MailThreading.Candidate?, _ t: MailThreading.Candidate?, _ n: MailThreading.Candidate?, sender: ContactID) -> MailThreading.Decision {
            MailThreading.decide(byReference: r, byToken: t, byNumber: n, sender: sender, now: now, reopenWindow: 7 * 86400)
        }
        #expect(decide(byReference, byToken, byNumber, sender: customer) == .append(byReference.conversationId, reopen: false))
        #expect(decide(nil, byToken, byNumber, sender: customer) == .append(byToken.conversationId, reopen: false))
        #expect(decide(nil, nil, byNumber, sender: customer) == .append(byNumber.conversationId, reopen: false))
        // The subject alone never joins a stranger to someone's conversation.
        #expect(decide(nil, nil, byNumber, sender: stranger) == .newConversation)
        // A colleague replying to the thread (a real reference) is part of it.
        #expect(decide(byReference, nil, nil, sender: stranger) == .append(byReference.conversationId, reopen: false))
        #expect(decide(nil, nil, nil, sender: customer) == .newConversation)
    }

    @Test func resolvedConversationsReopenForTheirCustomerWithinTheWindow() {
        let recent = candidate(.resolved, contact: customer, idleDays: 7)
        let old = candidate(.resolved, contact: customer, idleDays: 7.01)
        #expect(MailThreading.decide(byReference: recent, byToken: nil, byNumber: nil, sender: customer, now: now, reopenWindow: 7 * 86400)
            == .append(recent.conversationId, reopen: true))
        #expect(MailThreading.decide(byReference: old, byToken: nil, byNumber: nil, sender: customer, now: now, reopenWindow: 7 * 86400)
            == .newConversation)
        #expect(MailThreading.decide(byReference: recent, byToken: nil, byNumber: nil, sender: stranger, now: now, reopenWindow: 7 * 86400)
            == .newConversation)
    }

    @Test func numbersAndLanguagesAreReadFromTheMail() {
        #expect(InboundMail.conversationNumber(inSubject: "回复: [#1042] 账户被冻结") == 1042)
        #expect(InboundMail.conversationNumber(inSubject: "#1042 without brackets") == nil)
        #expect(MailThreading.guessLocale("您好，我的提现被冻结了 UID 123") == "zh-CN")
        #expect(MailThreading.guessLocale("Hello, my withdrawal is on hold (提现)") == "en")
    }
}
