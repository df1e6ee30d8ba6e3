import Foundation
import HTTPTypes
import Hummingbird
import KefuStore

/// A stored file as a response, read from disk in chunks as the client takes them. Read
/// whole, a slow reader of a 10 MB attachment held 10 MB for as long as it took: 240 of them
/// took the process to 2.4 GB. Streamed, one costs a chunk (128 KiB) and the socket's buffers.
enum BlobResponse {
    static func stream(
        _ sha256: String, from blobs: AttachmentBlobStore, headers: HTTPFields, context: some RequestContext
    ) async throws -> Response {
        let body = try await FileIO().loadFile(path: try blobs.path(sha256), context: context)
        return Response(status: .ok, headers: headers, body: body)
    }
}
