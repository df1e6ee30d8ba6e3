import Foundation
import KefuAccounts
import KefuCore
import KefuStore

/// A chat visitor the wallet's page vouches for with a `WidgetIdentity` token: their chat joins
/// the customer's history (like a verified email, without the mailed code; an earlier
/// customer's contact on a shared browser is left alone, see `joinSession`) and the widget shows
/// the customer's anti-phishing code. The token only counts while the account session it was
/// made in is live, so a wallet sign-out also ends what the widget may show.
public struct WidgetSignedInCustomer: Sendable {
    public typealias Repositories = AccountRepository & WidgetSessionRepository
    public let store: any Repositories
    public let identity: WidgetIdentity
    public let now: @Sendable () -> Date

    public struct Identified: Encodable, Sendable {
        /// Shown in the widget's header; null when the customer has not set one.
        public let antiPhishingCode: String?
        /// The contact the widget session now belongs to (absent without a session).
        public let contactId: ContactID?
    }

    public func account(for token: String) async throws -> Account {
        guard let claim = identity.verify(token, now: now()),
            try await store.accountSessions(accountId: claim.accountId).contains(where: { $0.id == claim.sessionId }),
            let account = try await store.account(id: claim.accountId)
        // 401, like any credential that does not hold: the page has to vouch again.
        else { throw WebchatError.notSignedIn }
        return account
    }

    public func identify(token: String, session: WidgetSession?) async throws -> Identified {
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

    public init(store: any Repositories, identity: WidgetIdentity, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.identity = identity
        self.now = now
    }
}
