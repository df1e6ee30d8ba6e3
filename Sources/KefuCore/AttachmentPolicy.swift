import Foundation

/// What files chat accepts: images and PDFs, recognised by their first bytes (never by the name
/// or the type the client claims), up to a size limit.
public enum AttachmentPolicy {
    public static let maxBytes = 10 << 20

    /// The content type the bytes really are, or nil when they are not an accepted kind.
    public static func sniff(_ bytes: some Collection<UInt8>) -> String? {
        let head = Array(bytes.prefix(12))
        func starts(_ signature: [UInt8]) -> Bool { head.count >= signature.count && Array(head.prefix(signature.count)) == signature }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if head.count >= 12, starts(Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) { return "image/webp" }
        if starts(Array("%PDF-".utf8)) { return "application/pdf" }
        return nil
    }

    /// A file name safe to store and show: no directories, no control characters, not empty,
    /// at most 120 characters, with the extension the real type implies.
    public static func safeFilename(_ raw: String?, contentType: String) -> String {
        let base = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(base.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) && $0 != "\"" })
            .trimmingCharacters(in: .whitespaces)
        let expected =
            switch contentType {
            case "image/png": "png"
            case "image/jpeg": "jpg"
            case "image/gif": "gif"
            case "image/webp": "webp"
            default: "pdf"
            }
        var stem = cleaned.isEmpty ? "attachment" : cleaned
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = String(stem[..<dot]) }
        return String(stem.prefix(110)) + "." + expected
    }

    /// The name of a file that came by mail, which may be of any type: cleaned like any
    /// upload; an image or PDF gets the extension of its real type, anything else keeps its own
    /// (it is only ever offered as a download).
    public static func safeMailFilename(_ raw: String, sniffedType: String?) -> String {
        if let sniffedType { return safeFilename(raw, contentType: sniffedType) }
        let base = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(base.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) && $0 != "\"" })
            .trimmingCharacters(in: .whitespaces)
        return cleaned.isEmpty ? "attachment.bin" : String(cleaned.prefix(120))
    }
}
