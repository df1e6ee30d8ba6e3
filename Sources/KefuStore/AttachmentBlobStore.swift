import Crypto
import Foundation
import KefuCore

/// File contents stored once by SHA-256 under `DATA_DIR/attachments/ab/cdef…`.
/// Writing goes to a temporary file first and is renamed into place, so a crash never leaves
/// a half-written blob under its final name.
public struct AttachmentBlobStore: Sendable {
    public let root: URL

    public init(dataDirectory: URL) {
        self.root = dataDirectory.appendingPathComponent("attachments", isDirectory: true)
    }

    public static func digest(_ data: Data) -> String {
        Hex.lowercase(SHA256.hash(data: data))
    }

    func url(for sha256: String) -> URL {
        root.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true).appendingPathComponent(String(sha256.dropFirst(2)))
    }

    /// Stores the bytes (a no-op when identical content exists) and returns their digest.
    ///
    /// Straight system calls, one temporary file: every received mail lands here, and
    /// Foundation's atomic write (a second temporary file and rename) with a directory check
    /// first was a fifth of the SMTP listener's CPU. The directory is made only when the
    /// first write into it finds it missing.
    public func put(_ data: Data) throws -> String {
        let digest = Self.digest(data)
        let target = url(for: digest)
        if access(target.path, F_OK) == 0 { return digest }
        let directory = target.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".tmp-\(UUID().uuidString)").path
        var descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0, errno == ENOENT {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        let written = data.withUnsafeBytes { bytes in Self.writeAll(bytes, to: descriptor) }
        let closed = close(descriptor) == 0
        guard written, closed, rename(temporary, target.path) == 0 else {
            unlink(temporary)
            if access(target.path, F_OK) == 0 { return digest }  // the same bytes, put by someone else
            throw CocoaError(.fileWriteUnknown)
        }
        return digest
    }

    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }

    public func get(_ sha256: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path(sha256)))
    }

    /// Where the blob lies on disk, for serving it as a stream rather than reading it whole.
    public func path(_ sha256: String) throws -> String {
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else { throw CocoaError(.fileReadInvalidFileName) }
        return url(for: sha256).path
    }
}

/// Where attachment and mail bytes live, by their SHA-256. Kefu's own is a directory
/// (`AttachmentBlobStore`); several instances share one by mounting the same path on each
/// (docs/deployment.md). An object store can follow behind this protocol: nothing else
/// knows where the bytes are.
public protocol BlobStore: Sendable {
    /// Stores the bytes (a no-op when identical content exists) and returns their digest.
    func put(_ data: Data) async throws -> String
    func get(_ sha256: String) async throws -> Data
    /// The blob as a response streams it.
    func content(_ sha256: String) async throws -> BlobContent
}

/// A stored blob, ready to send.
public enum BlobContent: Sendable {
    /// A file to stream in chunks.
    case file(path: String)
    case bytes(Data)
}

extension AttachmentBlobStore: BlobStore {
    public func content(_ sha256: String) throws -> BlobContent {
        .file(path: try path(sha256))
    }
}
