import Foundation

extension HTMLText {
    /// Every word an HTML document holds, whether a reader sees it or not: text between tags,
    /// inside comments, scripts, styles and the title, and the quoted values of attributes
    /// (`alt`, `title`, `value`), each tag read as a space and entities decoded. Not for showing:
    /// the secret check reads it, since a stored original keeps all of these.
    public static func everyWord(from html: String) -> String {
        var output = ""
        output.reserveCapacity(html.utf8.count)
        var index = html.startIndex
        while index < html.endIndex {
            let character = html[index]
            guard character == "<" else {
                output.append(character)
                index = html.index(after: index)
                continue
            }
            if html[index...].hasPrefix("<!--") {
                let start = html.index(index, offsetBy: 4)
                let end = html[start...].range(of: "-->")
                output += " " + html[start..<(end?.lowerBound ?? html.endIndex)] + " "
                index = end?.upperBound ?? html.endIndex
                continue
            }
            guard let close = html[index...].firstIndex(of: ">") else {
                output += " " + html[html.index(after: index)...]
                break
            }
            output += " " + attributeValues(in: html[html.index(after: index)..<close]).joined(separator: " ") + " "
            index = html.index(after: close)
        }
        return decodeEntities(output)
    }

    /// The values of a tag's attributes, quoted or not (`title=a,b,c`), and the text a
    /// `data:text/…;base64,` value encodes.
    static func attributeValues(in tag: Substring) -> [String] {
        var values: [String] = []
        var index = tag.firstIndex(where: \.isWhitespace) ?? tag.endIndex  // past the tag's name
        while index < tag.endIndex {
            guard let equals = tag[index...].firstIndex(of: "=") else { break }
            var start = tag.index(after: equals)
            while start < tag.endIndex, tag[start].isWhitespace { start = tag.index(after: start) }
            guard start < tag.endIndex else { break }
            let value: Substring
            if tag[start] == "\"" || tag[start] == "'" {
                let after = tag.index(after: start)
                let close = tag[after...].firstIndex(of: tag[start]) ?? tag.endIndex
                value = tag[after..<close]
                index = close < tag.endIndex ? tag.index(after: close) : close
            } else {
                let end = tag[start...].firstIndex(where: \.isWhitespace) ?? tag.endIndex
                value = tag[start..<end]
                index = end
            }
            values.append(String(value))
            if let decoded = dataText(value) { values.append(decoded) }
        }
        return values
    }

    /// What a `data:text/…;base64,…` URI holds, as text.
    static func dataText(_ value: Substring) -> String? {
        guard value.count < 8 << 20, value.lowercased().hasPrefix("data:text/"), let comma = value.firstIndex(of: ","),
            value[..<comma].lowercased().hasSuffix(";base64"),
            let data = Data(base64Encoded: String(value[value.index(after: comma)...]), options: .ignoreUnknownCharacters)
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
