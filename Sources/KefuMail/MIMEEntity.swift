import Foundation

/// One header field as received: its name and its unfolded raw value.
public struct HeaderField: Sendable, Equatable {
    public var name: String
    public var raw: [UInt8]

    public init(name: String, raw: [UInt8]) {
        self.name = name
        self.raw = raw
    }
}

/// A message or body part: its headers, its body with the transfer encoding undone, and its
/// children when it is a multipart.
public struct MIMEEntity: Sendable {
    public var headers: [HeaderField]
    public var contentType: HeaderParameters
    public var disposition: HeaderParameters?
    public var transferEncoding: String
    /// The decoded body bytes (empty for a multipart, whose content is `children`).
    public var body: [UInt8]
    public var children: [MIMEEntity]

    public func header(_ name: String) -> [UInt8]? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.raw
    }

    public func headers(_ name: String) -> [[UInt8]] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.raw)
    }

    public var isMultipart: Bool { contentType.value.hasPrefix("multipart/") }
    public var charset: String? { contentType["charset"] }
}

/// Turns raw RFC 5322 bytes into a MIME tree. It never throws: what cannot be read is kept as
/// well as possible and described in `warnings`, so no mail is ever lost to a parse error.
public struct MIMEParser {
    public private(set) var warnings: [String] = []
    /// Deeper nesting than this is treated as an opaque part (a mail bomb guard).
    public static let maxDepth = 24
    /// More parts than this in one mail are kept as opaque bytes.
    public static let maxParts = 500
    private var partCount = 0

    public init() {}

    public mutating func parse(_ bytes: [UInt8]) -> MIMEEntity {
        parseEntity(bytes[...], depth: 0, defaultType: "text/plain")
    }

    private mutating func parseEntity(_ bytes: ArraySlice<UInt8>, depth: Int, defaultType: String) -> MIMEEntity {
        partCount += 1
        let (headers, bodyStart) = Self.parseHeaders(bytes)
        let rawBody = bytes[bodyStart...]
        func field(_ name: String) -> [UInt8]? { headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.raw }
        var contentType = field("Content-Type").map { HeaderParameters.parse($0) } ?? HeaderParameters(value: defaultType)
        if !contentType.value.contains("/") {
            if field("Content-Type") != nil { warnings.append("unreadable Content-Type, read as \(defaultType)") }
            contentType = HeaderParameters(value: defaultType, parameters: contentType.parameters)
        }
        let disposition = field("Content-Disposition").map { HeaderParameters.parse($0, fallbackCharset: contentType["charset"]) }
        let encoding = field("Content-Transfer-Encoding").map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
        } ?? "7bit"

        if contentType.value.hasPrefix("multipart/") {
            guard depth < Self.maxDepth, partCount < Self.maxParts else {
                warnings.append("multipart nested too deeply; kept as one part")
                return MIMEEntity(
                    headers: headers, contentType: HeaderParameters(value: "application/octet-stream"), disposition: disposition,
                    transferEncoding: encoding, body: Array(rawBody), children: [])
            }
            guard let boundary = contentType["boundary"], !boundary.isEmpty else {
                warnings.append("multipart without a boundary; read as text")
                return MIMEEntity(
                    headers: headers, contentType: HeaderParameters(value: "text/plain", parameters: contentType.parameters),
                    disposition: disposition, transferEncoding: encoding, body: Array(rawBody), children: [])
            }
            let childDefault = contentType.value == "multipart/digest" ? "message/rfc822" : "text/plain"
            var children: [MIMEEntity] = []
            let parts = splitMultipart(rawBody, boundary: Array(boundary.utf8))
            for (index, part) in parts.enumerated() {
                // The limit counts every part of the mail, however flat or nested: past it the
                // rest stays only in the stored original (the mail itself is kept).
                guard partCount < Self.maxParts else {
                    warnings.append("more than \(Self.maxParts) MIME parts; \(parts.count - index) more are only in the original mail")
                    break
                }
                children.append(parseEntity(part, depth: depth + 1, defaultType: childDefault))
            }
            if children.isEmpty {
                // Nothing readable as parts: keep the whole body as text so nothing is lost.
                warnings.append("multipart with no parts; read as text")
                return MIMEEntity(
                    headers: headers, contentType: HeaderParameters(value: "text/plain"), disposition: nil,
                    transferEncoding: encoding, body: Array(rawBody), children: [])
            }
            return MIMEEntity(
                headers: headers, contentType: contentType, disposition: disposition, transferEncoding: encoding, body: [], children: children)
        }

        let body: [UInt8]
        switch encoding {
        case "base64":
            let (decoded, clean) = TransferEncoding.decodeBase64(rawBody)
            if !clean { warnings.append("damaged base64 in a \(contentType.value) part") }
            body = decoded
        case "quoted-printable":
            body = TransferEncoding.decodeQuotedPrintable(rawBody)
        case "7bit", "8bit", "binary", "":
            body = Array(rawBody)
        default:
            warnings.append("unknown transfer encoding \(encoding); kept as is")
            body = Array(rawBody)
        }
        var entity = MIMEEntity(
            headers: headers, contentType: contentType, disposition: disposition, transferEncoding: encoding, body: body, children: [])
        // A forwarded mail is kept as an attachment (its text is not mixed into this one).
        if contentType.value == "message/rfc822" && entity.disposition == nil {
            entity.disposition = HeaderParameters(value: "attachment", parameters: ["filename": "forwarded.eml"])
        }
        return entity
    }

    /// Header fields (unfolded) and where the body starts. Lines end in CRLF or a bare LF.
    /// A line that is neither a field nor a continuation ends the header (the rest is body).
    static func parseHeaders(_ bytes: ArraySlice<UInt8>) -> ([HeaderField], Int) {
        var fields: [HeaderField] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let lineEnd = bytes[index...].firstIndex(of: 0x0A) ?? bytes.endIndex
            var line = bytes[index..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            let next = lineEnd < bytes.endIndex ? lineEnd + 1 : bytes.endIndex
            if line.isEmpty { return (fields, next) }
            if line.first == 0x20 || line.first == 0x09 {
                if !fields.isEmpty {
                    fields[fields.count - 1].raw += line
                    index = next
                    continue
                }
            } else if let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy({ $0 > 0x20 && $0 < 0x7F })
            {
                var value = line[(colon + 1)...]
                while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
                fields.append(HeaderField(name: String(decoding: line[..<colon], as: UTF8.self), raw: Array(value)))
                index = next
                continue
            } else if fields.isEmpty, line.starts(with: Array("From ".utf8)) {
                // An mbox "From " line before the header.
                index = next
                continue
            }
            // Not a header line: the header ended without its blank line.
            return (fields, index)
        }
        return (fields, bytes.endIndex)
    }

    /// The parts between `--boundary` lines. A missing closing boundary takes the rest of the
    /// body as the last part (common in truncated mail).
    private mutating func splitMultipart(_ body: ArraySlice<UInt8>, boundary: [UInt8]) -> [ArraySlice<UInt8>] {
        let delimiter = [UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
        var parts: [ArraySlice<UInt8>] = []
        var partStart: Int?
        var index = body.startIndex
        var closed = false
        while index < body.endIndex {
            let lineEnd = body[index...].firstIndex(of: 0x0A) ?? body.endIndex
            var line = body[index..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            if line.starts(with: delimiter) {
                let rest = line.dropFirst(delimiter.count)
                let isClose = rest.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")])
                if isClose || rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    if let start = partStart {
                        // The CRLF before a delimiter belongs to the delimiter.
                        var end = index
                        if end > start, body[end - 1] == 0x0A { end -= 1 }
                        if end > start, body[end - 1] == 0x0D { end -= 1 }
                        parts.append(body[start..<end])
                    }
                    if isClose {
                        closed = true
                        break
                    }
                    partStart = lineEnd < body.endIndex ? lineEnd + 1 : body.endIndex
                }
            }
            index = lineEnd < body.endIndex ? lineEnd + 1 : body.endIndex
        }
        if !closed {
            if let start = partStart {
                parts.append(body[start...])
                warnings.append("multipart without its closing boundary")
            } else {
                warnings.append("multipart boundary never found")
            }
        }
        return parts
    }
}
