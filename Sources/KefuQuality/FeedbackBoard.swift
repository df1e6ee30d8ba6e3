import Foundation
import KefuCore
import KefuLocalization
import KefuSafety
import KefuStore

/// The community feedback board: signed-in customers post suggestions and problems, vote and
/// comment (ten posts and comments an hour at most each); agents answer officially, set the
/// status (followers are told by mail), merge duplicates (votes follow), link conversations,
/// turn a conversation into a post, hide and lock, and clear abuse reports. Text is plain.
public struct FeedbackBoard: Sendable {
    public typealias Repositories = FeedbackRepository & AccountRepository & ConversationRepository & ContactRepository & AuditRepository
    let store: any Repositories
    let notifier: any CustomerNotifier
    let publicURL: String
    let now: @Sendable () -> Date
    let secrets = SecretGuard.standard

    public static let writesPerHour = 10

    public init(store: any Repositories, notifier: any CustomerNotifier, publicURL: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.notifier = notifier
        self.publicURL = publicURL
        self.now = now
    }

    // MARK: - Customers

    public func post(kind: FeedbackKind, title: String, body: String, by account: Account, name: String?, source: String = "board") async throws -> FeedbackPost {
        let (checkedTitle, checkedBody) = try Self.checked { try FeedbackPost.validated(title: title, body: body) }
        try Self.mayWrite(account)
        // A public board above all keeps no secret: what it took out is audited by kind.
        let (cleanTitle, cleanBody) = (secrets.redact(checkedTitle), secrets.redact(checkedBody))
        let post = try await conflicts {
            try await store.createFeedbackPost(
                kind: kind, title: cleanTitle.text, body: cleanBody.text, author: account.id, authorName: Self.displayName(name, account: account),
                source: source == "widget" ? "widget" : "board", locale: account.locale ?? "en", linkTo: nil, linkedBy: nil, limit: limit(account))
        }
        await secretTakenOut(cleanTitle.kinds.union(cleanBody.kinds), subject: "feedback_post", id: post.id.rawValue)
        return post
    }

    /// Audits a secret taken out of a board text (by kind; the secret was never kept).
    func secretTakenOut(_ kinds: Set<SecretKind>, subject: String, id: String) async {
        guard !kinds.isEmpty else { return }
        try? await store.appendAudit(
            AuditEvent(
                actor: .system, action: "feedback.secret_redacted", subjectKind: subject, subjectId: id,
                detail: ["kinds": kinds.sorted().map(\.rawValue).joined(separator: ",")]))
    }

    public func comment(on post: FeedbackPostID, body: String, by account: Account, name: String?) async throws -> FeedbackComment {
        let checked = try Self.checked { try FeedbackComment.validated(body) }
        try Self.mayWrite(account)
        let clean = secrets.redact(checked)
        let comment = try await conflicts {
            try await store.addFeedbackComment(
                postId: post, authorKind: .customer, authorId: account.id.rawValue, authorName: Self.displayName(name, account: account), body: clean.text,
                official: false, limit: limit(account))
        }
        await secretTakenOut(clean.kinds, subject: "feedback_comment", id: comment.id.rawValue)
        return comment
    }

    public func vote(_ post: FeedbackPostID, by account: Account, on: Bool) async throws -> FeedbackPost {
        try Self.mayWrite(account)
        return try await conflicts { try await store.setFeedbackVote(postId: post, account: account.id, on: on) }
    }

    public static let maxReasonLength = 500

    public func report(_ post: FeedbackPostID, comment: FeedbackCommentID?, by account: Account, reason: String) async throws {
        let trimmed = secrets.redact(reason.trimmingCharacters(in: .whitespacesAndNewlines).storable).text
        if trimmed.unicodeScalars.count > Self.maxReasonLength {
            throw QualityError.invalid(ValidationFailure("reason", .tooLong(max: Self.maxReasonLength)))
        }
        try Self.mayWrite(account)
        try await conflicts {
            try await store.reportFeedback(
                postId: post, commentId: comment, account: account.id, reason: trimmed.isEmpty ? "—" : trimmed, limit: limit(account))
        }
    }

    /// Ten posts, comments and reports an hour per account: a flood from one account stops there.
    func limit(_ account: Account) -> FeedbackWriteLimit {
        FeedbackWriteLimit(account: account.id, since: now().addingTimeInterval(-3600), max: Self.writesPerHour)
    }

    /// Only an account whose address is confirmed takes part: status mails go to that address,
    /// and an address nobody proved is one anybody can make up by the thousand.
    static func mayWrite(_ account: Account) throws {
        guard account.emailVerified else { throw QualityError.conflict("unverified_account") }
    }

    /// What the board shows for a customer: their chosen name, else the part of the address before the @.
    static func displayName(_ name: String?, account: Account) -> String {
        let chosen = (name ?? "").trimmingCharacters(in: .whitespacesAndNewlines).storable
        if !chosen.isEmpty { return String(chosen.prefix(60)) }
        return String(account.email.split(separator: "@").first.map(String.init)?.prefix(3) ?? "") + "***"
    }

    // MARK: - Agents

    public func answer(_ post: FeedbackPostID, body: String, by agent: Agent) async throws -> FeedbackComment {
        let clean = try Self.checked { try FeedbackComment.validated(body) }
        return try await conflicts {
            try await store.addFeedbackComment(
                postId: post, authorKind: .agent, authorId: agent.id.rawValue, authorName: agent.name, body: clean, official: true, limit: nil)
        }
    }

    /// Sets the status; the author and every voter hear of it by mail, in their language, once.
    public func setStatus(_ post: FeedbackPostID, to status: FeedbackStatus, by actor: ActionSource) async throws -> FeedbackPost {
        let (updated, followers) = try await conflicts {
            try await store.setFeedbackStatus(
                postId: post, status: status,
                audit: actor.audit("feedback.status_changed", subjectKind: "feedback_post", subjectId: post.rawValue, detail: ["status": status.rawValue]))
        }
        let catalog = Catalog.standard
        for follower in followers {
            let locale = UILocale(storedTag: follower.locale)
            let values = [
                // No title: the mail comes from the official address, and a title is whatever a
                // customer typed (a lookalike link, a "refund" offer). The number and the link say which post.
                "number": String(updated.number), "status": catalog.text(.feedbackStatus(status), locale),
                "link": "\(publicURL)/help/\(locale.rawValue)/feedback/\(updated.number)",
            ]
            // One mail per change (a post may come back to a status it had): the change's time is in the key.
            let change = Int64(updated.updatedAt.timeIntervalSince1970 * 1000)
            try await notifier.sendNotice(
                to: follower.email, subject: catalog.text(.feedbackStatusMailSubject, locale, values),
                text: catalog.text(.feedbackStatusMailBody, locale, values),
                key: "feedback:\(updated.id):\(status.rawValue):\(change):\(follower.accountId)")
        }
        return updated
    }

    public func moderate(_ post: FeedbackPostID, hidden: Bool?, locked: Bool?, by actor: ActionSource) async throws -> FeedbackPost {
        try await conflicts {
            try await store.moderateFeedbackPost(
                postId: post, hidden: hidden, locked: locked,
                audit: actor.audit(
                    "feedback.moderated", subjectKind: "feedback_post", subjectId: post.rawValue,
                    detail: ["hidden": hidden.map(String.init) ?? "", "locked": locked.map(String.init) ?? ""]))
        }
    }

    public func hideComment(_ id: FeedbackCommentID, hidden: Bool, by actor: ActionSource) async throws {
        guard try await store.hideFeedbackComment(
            id: id, hidden: hidden, audit: actor.audit("feedback.comment_moderated", subjectKind: "feedback_comment", subjectId: id.rawValue))
        else { throw QualityError.notFound("comment") }
    }

    public func merge(_ post: FeedbackPostID, into target: FeedbackPostID, by actor: ActionSource) async throws -> FeedbackPost {
        try await conflicts {
            try await store.mergeFeedbackPost(
                postId: post, into: target,
                audit: actor.audit("feedback.merged", subjectKind: "feedback_post", subjectId: post.rawValue, detail: ["into": target.rawValue]))
        }
    }

    public func link(_ post: FeedbackPostID, to conversation: ConversationID, by agent: AgentID) async throws {
        try await conflicts { try await store.linkFeedbackPost(postId: post, conversation: conversation, by: agent) }
    }

    /// A suggestion a customer made in a conversation, as a board post: theirs when they have a
    /// wallet account (with their vote), linked to the conversation.
    public func postFromConversation(
        _ conversation: ConversationID, kind: FeedbackKind, title: String, body: String, by agent: Agent
    ) async throws -> FeedbackPost {
        let (checkedTitle, checkedBody) = try Self.checked { try FeedbackPost.validated(title: title, body: body) }
        // An agent may paste what the customer wrote; the board is public.
        let (cleanTitle, cleanBody) = (secrets.redact(checkedTitle).text, secrets.redact(checkedBody).text)
        guard let found = try await store.conversation(id: conversation) else { throw QualityError.notFound("conversation") }
        let contact = try await store.contact(id: found.contactId)
        // The customer is the author only through a wallet account whose address they proved,
        // shown as the board shows every customer (never the name they typed in a chat, which
        // may be their address or an "official" name); otherwise the agent who posts it.
        let account = try await store.account(contactId: found.contactId).flatMap { $0.emailVerified ? $0 : nil }
        let name = account.map { Self.displayName(nil, account: $0) } ?? agent.name
        return try await store.createFeedbackPost(
            kind: kind, title: cleanTitle, body: cleanBody, author: account?.id, authorName: name, source: "conversation",
            locale: contact?.locale ?? account?.locale ?? "en", linkTo: conversation, linkedBy: agent.id.rawValue, limit: nil)
    }

    // MARK: - Errors

    static func checked<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let failure as ValidationFailure {
            throw QualityError.invalid(failure)
        }
    }

    func conflicts<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch StoreError.notFound(let what) {
            throw QualityError.notFound(what)
        } catch StoreError.conflict(FeedbackWriteLimit.spent) {
            throw QualityError.tooManyWrites(retryAfter: 3600)
        } catch StoreError.conflict(let what) {
            throw QualityError.conflict(what)
        }
    }
}
