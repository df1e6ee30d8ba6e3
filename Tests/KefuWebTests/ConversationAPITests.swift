import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import KefuRealtime
import KefuStore
import KefuWeb
import Testing

@Suite struct ConversationAPITests {
    @Test func replyNoteAndIdempotentResend() async throws {
        try await TestApp.run { client, app in
            let token = try await client.login()
            let conversation = try await app.seedConversation()
            let path = "/api/v1/conversations/\(conversation.id)/messages"
            let reply = try await client.json(.post, path, token: token, body: #"{"text":"您好，我们正在核查。","clientMessageId":"r-1"}"#)
            #expect(reply.status == .created)
            #expect(reply.object["seq"] as? Int == 2)
            #expect(reply.object["direction"] as? String == "outgoing")
            let resend = try await client.json(.post, path, token: token, body: #"{"text":"您好，我们正在核查。","clientMessageId":"r-1"}"#)
            #expect(resend.status == .ok)
            #expect(resend.object["id"] as? String == reply.object["id"] as? String)
            let note = try await client.json(.post, path, token: token, body: #"{"text":"checked KYC","private":true}"#)
            #expect(note.object["direction"] as? String == "note")
            #expect(note.object["seq"] as? Int == 3)

            let all = try await client.json(.get, path, token: token)
            #expect((all.object["items"] as? [[String: Any]])?.map { $0["seq"] as? Int } == [1, 2, 3])
            let since = try await client.json(.get, path + "?since=2", token: token)
            #expect((since.object["items"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test func storedMessagesAndChangesArePublishedOnceAfterTheyAreStored() async throws {
        try await TestApp.run { client, app in
            let token = try await client.login()
            let conversation = try await app.seedConversation()
            var live = app.hub.subscribe([.conversation(conversation.id)]).makeAsyncIterator()
            let path = "/api/v1/conversations/\(conversation.id)/messages"
            _ = try await client.json(.post, path, token: token, body: #"{"text":"已收到","clientMessageId":"p-1"}"#)
            _ = try await client.json(.post, path, token: token, body: #"{"text":"已收到","clientMessageId":"p-1"}"#)
            _ = try await client.json(.patch, "/api/v1/conversations/\(conversation.id)", token: token, body: #"{"status":"pending"}"#)
            let first = try await live.next()
            let second = try await live.next()
            #expect(first?.seq == 2)
            #expect(second?.seq == 3)
            if case .message(let message)? = second?.kind { #expect(message.direction == .system) } else { Issue.record("expected a message") }
            // By the time an event is published, the store already has it.
            #expect(try await app.store.conversation(id: conversation.id)?.lastSeq == 3)
        }
    }

    @Test func statusAndAssignmentLeaveAHistoryAndAnAuditLine() async throws {
        try await TestApp.run { client, app in
            let token = try await client.login()
            let conversation = try await app.seedConversation()
            let agentId = try #require(try await app.store.credentials(email: TestApp.agentEmail)?.0.id)
            let patch = try await client.json(
                .patch, "/api/v1/conversations/\(conversation.id)", token: token,
                body: #"{"status":"resolved","assigneeId":"\#(agentId)","labels":["Withdrawal"]}"#)
            #expect(patch.status == .ok)
            #expect(patch.object["status"] as? String == "resolved")
            #expect(patch.object["assigneeId"] as? String == agentId.rawValue)
            #expect(patch.object["labels"] as? [String] == ["withdrawal"])
            let messages = try await app.store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(messages.last?.direction == .system)
            #expect(messages.last?.text == "status:resolved assignee:\(agentId)")
            let audit = try await app.store.auditEntries(before: nil, limit: 5)
            #expect(audit.first?.action == "conversation.updated")

            let unassign = try await client.json(.patch, "/api/v1/conversations/\(conversation.id)", token: token, body: #"{"assigneeId":null}"#)
            #expect(unassign.object["assigneeId"] == nil)
            let mine = try await client.json(.get, "/api/v1/conversations?assigneeId=none&status=resolved", token: token)
            #expect((mine.object["items"] as? [Any])?.count == 1)
        }
    }

    @Test func listingPagesThroughEveryConversationOnce() async throws {
        try await TestApp.run { client, app in
            let token = try await client.login()
            var created: Set<String> = []
            for _ in 0..<5 { created.insert(try await app.seedConversation().id.rawValue) }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/api/v1/conversations?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.json(.get, uri, token: token)
                #expect(page.status == .ok)
                seen += (page.object["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page.object["nextCursor"] as? String
            } while cursor != nil
            #expect(seen.count == 5)
            #expect(Set(seen) == created)
        }
    }

    @Test func badInputGetsAProblemAndChangesNothing() async throws {
        try await TestApp.run { client, app in
            let token = try await client.login()
            let conversation = try await app.seedConversation()
            let path = "/api/v1/conversations/\(conversation.id)/messages"
            let cases: [(String, HTTPFields, String, HTTPResponse.Status, String)] = [
                ("malformed JSON", [:], #"{"text": "#, .badRequest, "invalid_json"),
                ("wrong type", [:], #"{"text": 42}"#, .badRequest, "validation_failed"),
                ("missing field", [:], #"{"private": true}"#, .badRequest, "validation_failed"),
                ("empty text", [:], #"{"text": "   "}"#, .badRequest, "validation_failed"),
                ("wrong content type", [.contentType: "text/plain"], #"{"text":"hi"}"#, .unsupportedMediaType, "unsupported_media_type"),
                ("oversized", [:], #"{"text":""# + String(repeating: "长", count: 400_000) + #""}"#, .contentTooLarge, "body_too_large"),
            ]
            for (name, headers, body, status, code) in cases {
                let response = try await client.json(.post, path, token: token, body: body, headers: headers)
                #expect(response.status == status, "\(name)")
                #expect(response.code == code, "\(name)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(name)")
            }
            let patchWrongEnum = try await client.json(.patch, "/api/v1/conversations/\(conversation.id)", token: token, body: #"{"status":"closed"}"#)
            #expect(patchWrongEnum.code == "validation_failed")
            let unknown = try await client.json(.get, "/api/v1/conversations/\(UUID().uuidString)", token: token)
            #expect(unknown.status == .notFound)
            #expect(unknown.code == "conversation_not_found")
            let garbage = try await client.json(.post, "/api/v1/conversations/not-a-uuid/messages", token: token, body: #"{"text":"x"}"#)
            #expect(garbage.code == "conversation_not_found")
            let badFilter = try await client.json(.get, "/api/v1/conversations?status=closed", token: token)
            #expect(badFilter.code == "validation_failed")
            let badCursor = try await client.json(.get, "/api/v1/conversations?cursor=%%%", token: token)
            #expect(badCursor.status == .badRequest)

            let stored = try await app.store.messages(conversationId: conversation.id, since: 0, limit: 100)
            #expect(stored.count == 1)
            #expect(try await app.store.conversation(id: conversation.id)?.status == .open)
        }
    }

    @Test func problemsSpeakTheClientsLanguage() async throws {
        try await TestApp.run { client, _ in
            let zh = try await client.json(.get, "/api/v1/me", headers: [.acceptLanguage: "zh-CN,zh;q=0.9"])
            #expect(zh.object["detail"] as? String == "请先登录。")
            #expect(zh.code == "unauthenticated")
            let en = try await client.json(.get, "/api/v1/me", headers: [.acceptLanguage: "en-GB"])
            #expect(en.object["detail"] as? String == "Please log in.")
        }
    }

    @Test func inboxesAreCreatedByAdminsOnly() async throws {
        try await TestApp.run { client, _ in
            let admin = try await client.login()
            let agent = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            let denied = try await client.json(.post, "/api/v1/inboxes", token: agent, body: #"{"name":"Mail","kind":"email"}"#)
            #expect(denied.status == .forbidden)
            let invalid = try await client.json(.post, "/api/v1/inboxes", token: admin, body: #"{"name":"Mail","kind":"fax"}"#)
            let errors = invalid.object["errors"] as? [[String: Any]]
            #expect(errors?.first?["allowed"] as? [String] == ["webchat", "email", "telegram", "api"])
            let created = try await client.json(.post, "/api/v1/inboxes", token: admin, body: #"{"name":"Mail","kind":"email"}"#)
            #expect(created.status == .created)
            let list = try await client.json(.get, "/api/v1/inboxes", token: agent)
            // The support address's inbox exists from the start (the email channel makes it).
            let items = list.object["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["name"] as? String } == ["support@localhost", "Mail"])
            #expect(items.first?["emailAddress"] as? String == "support@localhost")
        }
    }

    @Test func teamsAreCreatedByAdminsAndConversationsRoutedToThem() async throws {
        try await TestApp.run { client, app in
            let admin = try await client.login()
            let agent = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            #expect(try await client.json(.post, "/api/v1/teams", token: agent, body: #"{"name":"Risk"}"#).status == .forbidden)
            let team = try await client.json(.post, "/api/v1/teams", token: admin, body: #"{"name":"Risk 风控"}"#)
            #expect(team.status == .created)
            #expect(try await client.json(.post, "/api/v1/teams", token: admin, body: #"{"name":"Risk 风控"}"#).status == .conflict)
            let teamId = try #require(team.object["id"] as? String)
            let conversation = try await app.seedConversation()
            let routed = try await client.json(.patch, "/api/v1/conversations/\(conversation.id)", token: agent, body: #"{"teamId":"\#(teamId)"}"#)
            #expect(routed.object["teamId"] as? String == teamId)
            let unknown = try await client.json(.patch, "/api/v1/conversations/\(conversation.id)", token: agent, body: #"{"teamId":"\#(UUID().uuidString)"}"#)
            #expect(unknown.code == "team_not_found")
            let nobody = try await client.json(.patch, "/api/v1/conversations/\(conversation.id)", token: agent, body: #"{"assigneeId":"\#(UUID().uuidString)"}"#)
            #expect(nobody.code == "agent_not_found")
            let noop = try await client.json(.patch, "/api/v1/conversations/\(conversation.id)", token: agent, body: #"{"labels":null}"#)
            #expect(noop.status == .ok)
            #expect(noop.object["teamId"] as? String == teamId)
            let list = try await client.json(.get, "/api/v1/teams", token: agent)
            #expect((list.object["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Risk 风控"])
        }
    }

    @Test func cannedRepliesAreWrittenBySupervisorsAndReadByAll() async throws {
        try await TestApp.run { client, _ in
            let admin = try await client.login()
            let agent = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            #expect(try await client.json(.post, "/api/v1/canned-replies", token: agent, body: #"{"shortcut":"x","body":"y"}"#).status == .forbidden)
            let bad = try await client.json(.post, "/api/v1/canned-replies", token: admin, body: #"{"shortcut":"re set","body":" "}"#)
            #expect((bad.object["errors"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["shortcut", "body"])
            let created = try await client.json(.post, "/api/v1/canned-replies", token: admin, body: #"{"shortcut":"/Reset","body":"请点击忘记密码。"}"#)
            #expect(created.status == .created)
            #expect(created.object["shortcut"] as? String == "reset")
            #expect(try await client.json(.post, "/api/v1/canned-replies", token: admin, body: #"{"shortcut":"reset","body":"again"}"#).status == .conflict)
            let list = try await client.json(.get, "/api/v1/canned-replies", token: agent)
            #expect((list.object["items"] as? [[String: Any]])?.map { $0["body"] as? String } == ["请点击忘记密码。"])
            let id = try #require(created.object["id"] as? String)
            #expect(try await client.json(.delete, "/api/v1/canned-replies/\(id)", token: agent).status == .forbidden)
            #expect(try await client.json(.delete, "/api/v1/canned-replies/\(id)", token: admin).status == .noContent)
            #expect(try await client.json(.delete, "/api/v1/canned-replies/\(id)", token: admin).code == "canned_reply_not_found")
        }
    }

    @Test func agentAdministration() async throws {
        try await TestApp.run { client, app in
            let admin = try await client.login()
            let invite = try await client.json(
                .post, "/api/v1/agents", token: admin, body: #"{"email":"new@kefu.test","name":"New Agent","role":"supervisor"}"#)
            #expect(invite.status == .created)
            let password = try #require(invite.object["oneTimePassword"] as? String)
            let newToken = try await client.login("new@kefu.test", password)
            let duplicate = try await client.json(.post, "/api/v1/agents", token: admin, body: #"{"email":"NEW@kefu.test","name":"Again"}"#)
            #expect(duplicate.status == .conflict)

            let newId = try #require((invite.object["agent"] as? [String: Any])?["id"] as? String)
            let disable = try await client.json(.patch, "/api/v1/agents/\(newId)", token: admin, body: #"{"status":"disabled"}"#)
            #expect(disable.status == .ok)
            #expect(try await client.json(.get, "/api/v1/me", token: newToken).status == .unauthorized)

            let adminId = try #require(try await app.store.credentials(email: TestApp.adminEmail)?.0.id)
            let lockout = try await client.json(.patch, "/api/v1/agents/\(adminId)", token: admin, body: #"{"status":"disabled"}"#)
            #expect(lockout.status == .conflict)
            let agentToken = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            #expect(try await client.json(.get, "/api/v1/agents", token: agentToken).status == .forbidden)

            // A forgotten password: the admin issues a one-time one; the agent's sessions end.
            let agentId = try #require(try await app.store.credentials(email: TestApp.agentEmail)?.0.id)
            #expect(try await client.json(.post, "/api/v1/agents/\(agentId)/password-reset", token: agentToken).status == .forbidden)
            #expect(try await client.json(.post, "/api/v1/agents/\(adminId)/password-reset", token: admin).status == .conflict)
            let reset = try await client.json(.post, "/api/v1/agents/\(agentId)/password-reset", token: admin)
            let resetPassword = try #require(reset.object["oneTimePassword"] as? String)
            #expect(try await client.json(.get, "/api/v1/me", token: agentToken).status == .unauthorized)
            let fresh = try await client.login(TestApp.agentEmail, resetPassword)
            #expect(try await client.json(.get, "/api/v1/conversations", token: fresh).code == "password_change_required")
            let audit = try await client.json(.get, "/api/v1/audit", token: admin)
            let actions = (audit.object["items"] as? [[String: Any]])?.compactMap { $0["action"] as? String } ?? []
            #expect(actions.contains("agent.invited"))
            #expect(actions.contains("agent.updated"))
            #expect(actions.contains("agent.password.reset"))
        }
    }
}
