import Foundation
import HTTPTypes
import Hummingbird
import KefuCore
import KefuSafety
import KefuStore
import NIOCore

/// Uploading and downloading chat attachments. The body is the file itself; its type is
/// sniffed from the bytes; it is stored once by content under KEFU_DATA_DIR; only its uploader
/// can attach it to a message.
struct AttachmentFiles: Sendable {
    let store: any AttachmentRepository
    let blobs: any BlobStore

    /// The request body as a file: refused early when its declared length is over `limit`,
    /// and while reading when it turns out to be.
    static func readFile(_ request: Request, limit: Int) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.bodyTooLarge
        }
        let buffer = try await request.body.collectWhole(upTo: limit)
        guard buffer.readableBytes > 0 else { throw APIError.validation("file", .required) }
        return Data(buffer: buffer)
    }

    func upload(_ request: Request, by uploader: Author) async throws -> Attachment {
        let data = try await Self.readFile(request, limit: AttachmentPolicy.maxBytes)
        guard let type = AttachmentPolicy.sniff(data) else {
            throw APIError.validation("file", .notOneOf(["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"]))
        }
        let digest = try await blobs.put(data)
        return try await store.createAttachment(
            sha256: digest, size: Int64(data.count), contentType: type,
            // A file name is text a customer wrote too: a secret in it is never stored.
            // Checked before and after cleaning (cleaning drops invisible characters that could
            // hide a phrase), with "+" read as the space form encoding makes it.
            filename: SecretGuard.standard.redact(
                AttachmentPolicy.safeFilename(
                    request.uri.queryParameters.get("filename").map { SecretGuard.standard.redact(String($0).replacingOccurrences(of: "+", with: " ")).text },
                    contentType: type)
            ).text,
            uploadedBy: uploader)
    }

    /// The file, served so a browser can never run it: its sniffed type, nosniff, a sandboxing CSP.
    func download(_ attachment: Attachment, context: some RequestContext) async throws -> Response {
        let disposition = attachment.contentType.hasPrefix("image/") ? "inline" : "attachment"
        let encodedName = attachment.filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "attachment"
        return try await BlobResponse.stream(
            attachment.sha256, from: blobs,
            headers: [
                .contentType: attachment.contentType,
                .contentDisposition: "\(disposition); filename*=UTF-8''\(encodedName)",
                .contentSecurityPolicy: "default-src 'none'; sandbox",
                .cacheControl: "private, max-age=86400",
            ],
            context: context)
    }
}

/// `POST /api/v1/attachments?filename=…` and `GET /api/v1/attachments/{id}` for agents.
struct AttachmentController {
    let files: AttachmentFiles

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.post("attachments") { request, context in
            JSONResponse(try await files.upload(request, by: .agent(context.agent.id)), status: .created)
        }
        group.get("attachments/{id}") { _, context in
            let id = try context.parameters.id("id", as: AttachmentID.self, thing: "attachment")
            guard let attachment = try await files.store.attachment(id: id) else { throw APIError.notFound("attachment") }
            return try await files.download(attachment, context: context)
        }
    }
}
