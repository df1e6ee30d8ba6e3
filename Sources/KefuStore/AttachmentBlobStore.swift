import Crypto
import Foundation

/// File contents stored once by SHA-256 under `DATA_DIR/attachments/ab/cdef…`.
/// Writing goes to a temporary file first and is renamed into place, so a crash never leaves
/// a half-written blob under its final name.
public struct AttachmentBlobStore: Sendable {
    public let root: URL

    public init(dataDirectory: URL) {
        self.root = dataDirectory.appendingPathComponent("attachments", isDirectory: true)
    }

    public static func digest(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    func url(for sha256: String) -> URL {
        root.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true).appendingPathComponent(String(sha256.dropFirst(2)))
    }

    /// Stores the bytes (a no-op when identical content exists) and returns their digest.
    public func put(_ data: Data) throws -> String {
        let digest = Self.digest(data)
        let target = url(for: digest)
        if FileManager.default.fileExists(atPath: target.path) { return digest }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".tmp-\(UUID().uuidString)")
        try data.write(to: temporary, options: .atomic)
        if rename(temporary.path, target.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            if !FileManager.default.fileExists(atPath: target.path) { throw CocoaError(.fileWriteUnknown) }
        }
        return digest
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
