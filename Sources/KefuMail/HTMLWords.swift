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
            output += " " + quotedValues(in: html[html.index(after: index)..<close]).joined(separator: " ") + " "
            index = html.index(after: close)
        }
        return decodeEntities(output)
    }

    /// The values between quotes in a tag's text.
    static func quotedValues(in tag: Substring) -> [Substring] {
        var values: [Substring] = []
        var index = tag.startIndex
        while let open = tag[index...].firstIndex(where: { $0 == "\"" || $0 == "'" }) {
            let after = tag.index(after: open)
            guard let close = tag[after...].firstIndex(of: tag[open]) else {
                values.append(tag[after...])
                break
            }
            values.append(tag[after..<close])
            index = tag.index(after: close)
        }
        return values
    }
}
