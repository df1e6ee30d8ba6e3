import Foundation
import Hummingbird
import KefuMail

/// A `multipart/form-data` body (an HTML form with a file input): its text fields and files by
/// name. Read with the mail parser's MIME reader, which already splits multipart bodies by
/// boundary and reads `Content-Disposition` parameters the way browsers write them.
struct MultipartForm {
    var fields: [String: String] = [:]
    var files: [String: [UInt8]] = [:]

    subscript(_ name: String) -> String? { fields[name] }

    static func read(_ request: Request, limit: Int) async throws -> MultipartForm {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data"), contentType.lowercased().contains("boundary=") else {
            throw APIError.unsupportedMediaType
        }
        let buffer = try await request.body.collectWhole(upTo: limit)
        return parse(Array(buffer.readableBytesView), contentType: contentType)
    }

    static func parse(_ body: [UInt8], contentType: String) -> MultipartForm {
        let flat = contentType.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        var parser = MIMEParser()
        let root = parser.parse(Array("Content-Type: \(flat)\r\n\r\n".utf8) + body)
        var form = MultipartForm()
        for part in root.children where !part.isMultipart {
            guard let disposition = part.disposition, disposition.value == "form-data", let name = disposition["name"], !name.isEmpty else {
                continue
            }
            if disposition["filename"] != nil {
                if !part.body.isEmpty { form.files[name] = part.body }
            } else {
                // Browsers send UTF-8 and name no charset; a part that names one is read in it
                // (UTF-16 read as UTF-8 would slip letters past the secret check).
                form.fields[name] = part.charset.map { Charset.decode(part.body, label: $0).text } ?? String(decoding: part.body, as: UTF8.self)
            }
        }
        return form
    }
}
