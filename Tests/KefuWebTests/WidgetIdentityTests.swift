import Foundation
import HummingbirdTesting
import KefuCore
import KefuStore
import Testing

@testable import KefuAccounts
@testable import KefuWeb

@Suite struct WidgetIdentityTests {
    let identity = WidgetIdentity(secretKey: Data(repeating: 7, count: 32))
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aTokenSaysWhoAndExpires() throws {
        let account = AccountID.generate()
        let issued = identity.issue(accountId: account, sessionId: "s-1", now: now)
        #expect(issued.expiresAt == now.addingTimeInterval(WidgetIdentity.lifetime))
        let claim = try #require(identity.verify(issued.token, now: now.addingTimeInterval(60)))
        #expect(claim.accountId == account && claim.sessionId == "s-1")
        // Ten minutes, not a millisecond more.
        #expect(identity.verify(issued.token, now: issued.expiresAt.addingTimeInterval(-0.001)) != nil)
        #expect(identity.verify(issued.token, now: issued.expiresAt) == nil)
    }

    @Test func forgedTamperedOrForeignTokensAreRefused() throws {
        let issued = identity.issue(accountId: AccountID(rawValue: "a"), sessionId: "s", now: now)
        let parts = issued.token.split(separator: ".").map(String.init)
        // Another account's id under the old signature.
        let forged = Data("v1|b|s|\(Int64(issued.expiresAt.timeIntervalSince1970 * 1000))".utf8).base64URL + "." + parts[1]
        #expect(identity.verify(forged, now: now) == nil)
        // A later expiry under the old signature.
        let extended = Data("v1|a|s|\(Int64.max)".utf8).base64URL + "." + parts[1]
        #expect(identity.verify(extended, now: now) == nil)
        // Signed by another server's key.
        let foreign = WidgetIdentity(secretKey: Data(repeating: 8, count: 32)).issue(accountId: AccountID(rawValue: "a"), sessionId: "s", now: now)
        #expect(identity.verify(foreign.token, now: now) == nil)
        for garbage in ["", ".", "abc", "a.b.c", parts[0], String(repeating: "A", count: 600) + "." + parts[1]] {
            #expect(identity.verify(garbage, now: now) == nil, "accepted \(garbage.prefix(20))")
        }
    }

    @Test func aSignedInCustomerSeesTheirCodeAndTheirHistoryInTheWidget() async throws {
        try await TestApp.run(live: true) { client, app in
            let password = "Widget-identity-2026!"
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"qian@example.cn","password":"\#(password)"}"#)
            let session = try #require(
                try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"qian@example.cn","password":"\#(password)"}"#)
                    .object["token"] as? String)
            _ = try await client.json(.put, "/api/v1/accounts/me/anti-phishing-code", token: session, body: #"{"code":"青山绿水"}"#)
            let account = try #require(try await app.store.accountCredentials(email: "qian@example.cn")?.0)
            // An earlier conversation of this customer, by mail.
            let mailbox = try await app.store.createInbox(name: "Mail", kind: .email, audit: nil)
            let earlier = try await app.store.createConversation(inboxId: mailbox.id, contactId: try #require(account.contactId), subject: "提现")

            let issued = try await client.json(.post, "/api/v1/accounts/me/widget-identity", token: session)
            let identityToken = try #require(issued.object["token"] as? String)
            #expect(try await client.json(.post, "/api/v1/accounts/me/widget-identity").code == "unauthenticated")

            // Before a chat session: only the code.
            let bare = try await client.json(.post, "/api/v1/widget/identity", body: #"{"identityToken":"\#(identityToken)"}"#)
            #expect(bare.object["antiPhishingCode"] as? String == "青山绿水")
            #expect(bare.object["contactId"] == nil)

            // With one: the visitor's contact joins the customer, so their history is the chat's.
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (widgetToken, visitorContact) = try await client.widgetSession(inbox: chat.id)
            let joined = try await client.json(.post, "/api/v1/widget/identity?token=\(widgetToken)", body: #"{"identityToken":"\#(identityToken)"}"#)
            #expect(joined.object["contactId"] as? String == account.contactId?.rawValue)
            #expect(try await app.store.contact(id: ContactID(rawValue: visitorContact)) == nil)
            #expect(try await client.json(.get, "/api/v1/widget/session?token=\(widgetToken)").object["contactId"] as? String == account.contactId?.rawValue)
            #expect(try await app.store.conversation(id: earlier.id)?.contactId == account.contactId)

            // Signed out of the wallet: the token no longer counts. Forged ones never did.
            _ = try await client.json(.delete, "/api/v1/accounts/sessions/current", token: session)
            #expect(try await client.json(.post, "/api/v1/widget/identity", body: #"{"identityToken":"\#(identityToken)"}"#).code == "unauthenticated")
            #expect(try await client.json(.post, "/api/v1/widget/identity", body: #"{"identityToken":"x.y"}"#).code == "unauthenticated")
            #expect(try await client.json(.post, "/api/v1/widget/identity?token=nope", body: #"{"identityToken":"x.y"}"#).code == "unauthenticated")
            #expect(try await client.json(.post, "/api/v1/widget/identity", body: "{}").code == "validation_failed")
        }
    }
}
