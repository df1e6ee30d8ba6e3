import ArgumentParser
import AsyncHTTPClient
import Foundation
import KefuChannels
import KefuStore
import NIOCore

/// `kefu audit verify` and `kefu audit head`: the audit log's hash chain checked from the
/// command line, and its newest link exported so that deleting the newest lines is seen too.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the audit log's hash chain, or export its head.", subcommands: [Verify.self, Head.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the audit log's hash chain; exit 0 when it holds, 1 naming the first line that does not.",
            discussion: "With --expect SEQ:HASH (what `kefu audit head` printed earlier), the line at SEQ must still have HASH.\n\n" + Settings.help)

        @Option(help: "A chain head exported earlier, as SEQ:HASH.")
        var expect: String?

        func run() async throws {
            let expected = try expect.map { text in
                guard let head = AuditChain.Head(text: text) else { throw ValidationError("--expect takes SEQ:HASH, as `kefu audit head` prints it") }
                return head
            }
            let settings = Settings()
            let verdict = try await Runtime.withStore(settings, logger: Runtime.logger(settings), migrate: false) { store in
                try await store.verifyAuditChain(expecting: expected)
            }
            guard let problem = verdict.problem else {
                say("The audit chain holds: \(verdict.checked) lines, head \(verdict.head.text)")
                return
            }
            let line = problem.id.map { "line \($0)" } ?? "the end of the log"
            let place = problem.seq.map { " (place \($0))" } ?? ""
            say("The audit chain is broken at \(line)\(place): \(problem.reason). The \(verdict.checked) lines before it hold.")
            throw ExitCode(1)
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit chain's newest link as SEQ:HASH, or post it as JSON to a URL.",
            discussion: "Keep what it prints somewhere Kefu's database administrators cannot write (run it from cron).\n\n" + Settings.help)

        @Option(help: "POST {\"seq\",\"hash\",\"at\"} to this URL; a status other than 2xx exits 1.")
        var post: String?

        @Option(
            help: ArgumentHelp(
                "A file holding a whsec_ secret: the post is signed as Kefu's webhooks are (Standard Webhooks headers).",
                valueName: "file"))
        var secretFile: String?

        func run() async throws {
            let settings = Settings()
            let head = try await Runtime.withStore(settings, logger: Runtime.logger(settings), migrate: false) { store in
                try await store.auditChainHead()
            }
            guard let post else {
                say(head.text)
                return
            }
            guard let url = URL(string: post), url.scheme == "https" || url.scheme == "http", url.host != nil else {
                throw ValidationError("--post takes an http(s) URL")
            }
            struct Body: Encodable {
                var seq: Int64
                var hash: String
                var at: String
            }
            let secret = try secretFile.map { path in
                let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                guard let secret = WebhookSecret(text) else { throw ValidationError("\(path) does not hold a whsec_ secret") }
                return secret
            }
            let body = try JSONEncoder().encode(Body(seq: head.seq, hash: head.hash, at: Date().formatted(.iso8601)))
            var request = HTTPClientRequest(url: post)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let secret {
                // The receiver checks it as it checks Kefu's webhooks (docs/channels.md).
                let id = "audit-head-\(head.seq)-\(UUID().uuidString.prefix(8))"
                let timestamp = Int64(Date().timeIntervalSince1970)
                request.headers.add(name: "webhook-id", value: id)
                request.headers.add(name: "webhook-timestamp", value: String(timestamp))
                request.headers.add(name: "webhook-signature", value: WebhookSignature.sign(id: id, timestamp: timestamp, body: body, secrets: [secret]))
            }
            request.body = .bytes(ByteBuffer(bytes: body))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let status: UInt
            do {
                status = try await client.execute(request, timeout: .seconds(20)).status.code
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                say("Could not post the audit head to \(post): \(error)")
                throw ExitCode(1)
            }
            guard (200..<300).contains(status) else {
                say("Posting the audit head to \(post) was answered \(status)")
                throw ExitCode(1)
            }
            say("Posted \(head.text) to \(post)")
        }
    }
}
