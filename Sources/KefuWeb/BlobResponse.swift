import Foundation
import HTTPTypes
import Hummingbird
import KefuStore
import NIOCore

/// A stored file as a response, read from disk in chunks as the client takes them. Read
/// whole, every download held the whole file (10 MB) for as long as its client took: 240 slow
/// readers of one attachment took the process to 2.4 GB. Streamed, a slow reader holds what the
/// kernel's send buffer took plus a few chunks in the process (docs/security.md).
enum BlobResponse {
    /// The reader keeps up to 8 chunks read ahead of the client: 32 KiB each.
    static let chunk = 32 << 10

    static func stream(
        _ sha256: String, from blobs: any BlobStore, headers: HTTPFields, context: some RequestContext
    ) async throws -> Response {
        let file: ResponseBody
        do {
            switch try await blobs.content(sha256) {
            case .file(let path): file = try await FileIO().loadFile(path: path, context: context, chunkLength: Self.chunk)
            case .bytes(let data): file = ResponseBody(byteBuffer: ByteBuffer(bytes: data))
            }
        } catch let error as HTTPError where error.status == .notFound {
            // A row whose file is gone (a damaged data directory): that file, not "no such route".
            throw APIError.notFound("file")
        }
        let length = file.contentLength
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: length) { writer in
            try await file.write(WholeFileWriter(inner: writer, expected: length))
        })
    }
}

/// Passes a file's chunks on, and refuses to end the response short of its announced length: a
/// file cut short on disk after its length was read would otherwise leave the client waiting
/// for bytes that never come. The failed response closes the connection.
struct WholeFileWriter: ResponseBodyWriter {
    struct CutShort: Error {}

    var inner: any ResponseBodyWriter
    let expected: Int?
    var written = 0

    mutating func write(_ buffer: ByteBuffer) async throws {
        written += buffer.readableBytes
        try await inner.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        if let expected, written < expected { throw CutShort() }
        let inner = self.inner
        try await inner.finish(trailingHeaders)
    }
}
