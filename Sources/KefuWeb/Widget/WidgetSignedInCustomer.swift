import Foundation
import KefuAccounts
import KefuCore
import KefuStore

/// A chat visitor the wallet's page vouches for with a `WidgetIdentity` token: their chat joins
/// the customer's history (like a verified email, without the mailed code; an earlier
/// customer's contact on a shared browser is left alone, see `joinSession`) and the widget shows
/// the customer's anti-phishing code. The token only counts while the account session it was
/// made in is live, so a wallet sign-out also ends what the widget may show.
struct WidgetSignedInCustomer: Sendable {
    typealias Repositories = AccountRepository & WidgetSessionRepository
    let store: any Repositories
    let identity: WidgetIdentity
    let now: @Sendable () -> Date

    struct Identified: Encodable, Sendable {
        /// Shown in the widget's header; null when the customer has not set one.
        let antiPhishingCode: String?
        /// The contact the widget session now belongs to (absent without a session).
        let contactId: ContactID?
    }

    func account(for token: String) async throws -> Account {
        guard let claim = identity.verify(token, now: now()),
            try await store.accountSessions(accountId: claim.accountId).contains(where: { $0.id == claim.sessionId }),
            let account = try await store.account(id: claim.accountId)
        // 401, like any credential that does not hold: the page has to vouch again.
        else { throw APIError.unauthenticated }
        return account
    }

    func identify(token: String, session: WidgetSession?) async throws -> Identified {
        let account = try await account(for: token)
        guard let session else { return Identified(antiPhishingCode: account.antiPhishingCode, contactId: nil) }
        let contact: ContactID
        if let owner = account.contactId {
            try await store.joinSession(sessionId: session.id, to: owner)
            contact = owner
        } else {
            contact = try await store.verifySessionEmail(sessionId: session.id, email: account.email)
        }
        return Identified(antiPhishingCode: account.antiPhishingCode, contactId: contact)
    }
}
