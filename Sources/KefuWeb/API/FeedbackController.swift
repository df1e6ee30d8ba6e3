import Foundation
import Hummingbird
import KefuCore
import KefuQuality
import KefuStore

/// `/api/v1/feedback/…`: the community board as agents work it: every post (hidden ones too),
/// official answers, statuses, moderation, merges, links to conversations, abuse reports, and a
/// conversation turned into a post. Customers write on the board through the help center.
struct FeedbackController {
    let board: FeedbackBoard
    let store: any FeedbackRepository
    let limits: BodyLimits

    struct PostView: Encodable, Sendable {
        let id: FeedbackPostID
        let number: Int64
        let kind: FeedbackKind
        let title: String
        let body: String
        let status: FeedbackStatus
        let authorName: String
        let source: String
        let votes: Int
        let comments: Int
        let hidden: Bool
        let locked: Bool
        let mergedInto: FeedbackPostID?
        let locale: String
        let createdAt: Date
        let updatedAt: Date

        init(_ post: FeedbackPost) {
            id = post.id
            number = post.number
            kind = post.kind
            title = post.title
            body = post.body
            status = post.status
            authorName = post.authorName
            source = post.source
            votes = post.votes
            comments = post.comments
            hidden = post.hidden
            locked = post.locked
            mergedInto = post.mergedInto
            locale = post.locale
            createdAt = post.createdAt
            updatedAt = post.updatedAt
        }
    }

    struct CommentView: Encodable, Sendable {
        let id: FeedbackCommentID
        let authorKind: FeedbackComment.AuthorKind
        let authorName: String
        let body: String
        let official: Bool
        let hidden: Bool
        let createdAt: Date

        init(_ comment: FeedbackComment) {
            id = comment.id
            authorKind = comment.authorKind
            authorName = comment.authorName
            body = comment.body
            official = comment.official
            hidden = comment.hidden
            createdAt = comment.createdAt
        }
    }

    struct Detail: Encodable, Sendable {
        let post: PostView
        let comments: [CommentView]
        let conversationIds: [ConversationID]
    }

    struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
        let items: [Item]
    }

    struct TextBody: Decodable { let body: String }
    struct ChangeBody: Decodable {
        let status: FeedbackStatus?
        let hidden: Bool?
        let locked: Bool?
    }
    struct MergeBody: Decodable { let into: FeedbackPostID }
    struct LinkBody: Decodable { let conversationId: ConversationID }
    struct HideBody: Decodable { let hidden: Bool }
    struct NewPostBody: Decodable {
        let kind: FeedbackKind
        let title: String
        let body: String
    }

    struct ReportView: Encodable, Sendable {
        let id: Int64
        let postId: FeedbackPostID
        let commentId: FeedbackCommentID?
        let reason: String
        let createdAt: Date
    }

    static func postId(_ context: AuthenticatedContext) throws -> FeedbackPostID {
        try context.parameters.id("id", as: FeedbackPostID.self, thing: "post")
    }

    func detail(_ id: FeedbackPostID) async throws -> Detail {
        guard let post = try await store.feedbackPost(id: id) else { throw APIError.notFound("post") }
        return Detail(
            post: PostView(post), comments: try await store.feedbackComments(postId: id, includeHidden: true).map(CommentView.init),
            conversationIds: try await store.feedbackLinks(postId: id))
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("feedback/posts") { request, _ in
            let query = QueryReader(request: request)
            let list = FeedbackQuery(
                status: try query.enumValue("status", as: FeedbackStatus.self), kind: try query.enumValue("kind", as: FeedbackKind.self),
                order: try query.enumValue("order", as: FeedbackQuery.Order.self) ?? .top, includeHidden: true,
                limit: Int(try query.int("limit", range: 1...100) ?? 30), offset: Int(try query.int("offset", range: 0...100_000) ?? 0))
            return JSONResponse(ListResponse(items: try await store.feedbackPosts(list).map(PostView.init)))
        }
        group.get("feedback/posts/{id}") { _, context in
            JSONResponse(try await detail(try Self.postId(context)))
        }
        group.post("feedback/posts/{id}/answers") { request, context in
            let body = try await request.decodeJSON(TextBody.self, limit: limits.small)
            return JSONResponse(CommentView(try await board.answer(try Self.postId(context), body: body.body, by: context.agent)), status: .created)
        }
        group.patch("feedback/posts/{id}", role: .supervisor) { request, context in
            let id = try Self.postId(context)
            let body = try await request.decodeJSON(ChangeBody.self, limit: limits.small)
            if body.hidden != nil || body.locked != nil { _ = try await board.moderate(id, hidden: body.hidden, locked: body.locked, by: context.source) }
            if let status = body.status { _ = try await board.setStatus(id, to: status, by: context.source) }
            return JSONResponse(try await detail(id).post)
        }
        group.post("feedback/posts/{id}/merge", role: .supervisor) { request, context in
            let body = try await request.decodeJSON(MergeBody.self, limit: limits.small)
            return JSONResponse(PostView(try await board.merge(try Self.postId(context), into: body.into, by: context.source)))
        }
        group.post("feedback/posts/{id}/links") { request, context in
            let body = try await request.decodeJSON(LinkBody.self, limit: limits.small)
            try await board.link(try Self.postId(context), to: body.conversationId, by: context.agent.id)
            return Response(status: .noContent)
        }
        group.post("feedback/comments/{id}/hide", role: .supervisor) { request, context in
            let id = try context.parameters.id("id", as: FeedbackCommentID.self, thing: "comment")
            let body = try await request.decodeJSON(HideBody.self, limit: limits.small)
            try await board.hideComment(id, hidden: body.hidden, by: context.source)
            return Response(status: .noContent)
        }
        group.post("conversations/{id}/feedback-post") { request, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            let body = try await request.decodeJSON(NewPostBody.self, limit: limits.small)
            let post = try await board.postFromConversation(id, kind: body.kind, title: body.title, body: body.body, by: context.agent)
            return JSONResponse(PostView(post), status: .created)
        }
        group.get("feedback/reports", role: .supervisor) { request, _ in
            let query = QueryReader(request: request)
            let reports = try await store.openFeedbackReports(
                postId: try query.id("postId", as: FeedbackPostID.self), limit: Int(try query.int("limit", range: 1...100) ?? 100),
                offset: Int(try query.int("offset", range: 0...100_000) ?? 0))
            return JSONResponse(
                ListResponse(
                    items: reports.map {
                        ReportView(id: $0.id, postId: $0.postId, commentId: $0.commentId, reason: $0.reason, createdAt: $0.createdAt)
                    }))
        }
        group.post("feedback/reports/{id}/resolve", role: .supervisor) { _, context in
            guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0 else { throw APIError.notFound("report") }
            guard try await store.resolveFeedbackReport(id: id, by: context.agent.id) else { throw APIError.notFound("report") }
            return Response(status: .noContent)
        }
    }
}
