#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Text in the charsets real mail arrives in. Foundation on Linux cannot decode GBK, GB18030 or
/// Big5, so conversion goes through the C library's iconv. Decoding never fails: a byte that is
/// not valid in the declared charset becomes U+FFFD and the result says it was lossy.
public enum Charset {
    public struct Decoded: Sendable, Equatable {
        public var text: String
        /// Some bytes could not be read in the charset (they show as U+FFFD).
        public var lossy: Bool
        /// The charset was unknown; the text was read as UTF-8 or, failing that, as GB18030.
        public var guessed: Bool
    }

    /// The iconv name for a MIME charset label, widened to the superset real clients mean:
    /// mail labelled GB2312 routinely carries GBK characters, Big5 carries HKSCS, Shift_JIS
    /// carries Windows extensions, and ISO-8859-1 is Windows-1252 in practice (WHATWG).
    // Built once (a regex literal is compiled at each evaluation).
    nonisolated(unsafe) static let isoLatin = /iso[-_]?8859[-_]?(\d{1,2})/
    nonisolated(unsafe) static let windowsCodePage = /(?:windows|cp|x-cp)[-_]?(125\d)/

    static func iconvName(for label: String) -> String? {
        let name = label.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")).lowercased()
        switch name {
        case "utf-8", "utf8", "unicode-1-1-utf-8": return "UTF-8"
        case "us-ascii", "ascii", "ansi_x3.4-1968", "646": return "UTF-8"
        case "gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "windows-936", "euc-cn", "x-euc-cn", "csgb2312", "chinese", "gb_2312-80",
            "iso-ir-58", "hz-gb-2312":
            return name == "hz-gb-2312" ? nil : "GB18030"
        case "big5", "big-5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5", "cp950", "x-big5": return "BIG5-HKSCS"
        case "iso-2022-jp", "csiso2022jp", "iso-2022-jp-2", "iso-2022-jp-3": return "ISO-2022-JP-2"
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "ms932": return "CP932"
        case "euc-jp", "x-euc-jp": return "EUC-JP"
        case "euc-kr", "ks_c_5601-1987", "ks_c_5601", "korean", "cp949", "windows-949": return "CP949"
        case "iso-8859-1", "latin1", "latin-1", "l1", "iso_8859-1", "cp819", "windows-1252", "cp1252", "x-cp1252": return "WINDOWS-1252"
        case "utf-16": return "UTF-16"
        case "utf-16le": return "UTF-16LE"
        case "utf-16be": return "UTF-16BE"
        case "utf-7": return "UTF-7"
        case "koi8-r", "koi8-u", "tis-620", "viscii": return name.uppercased()
        default:
            if let match = name.wholeMatch(of: isoLatin), let part = Int(match.1), (2...16).contains(part) {
                return "ISO-8859-\(part)"
            }
            if let match = name.wholeMatch(of: windowsCodePage) { return "WINDOWS-\(match.1)" }
            return nil
        }
    }

    /// Whether Kefu can read this charset label.
    public static func isKnown(_ label: String) -> Bool { iconvName(for: label) != nil }

    /// Decodes `bytes` declared as `label` (nil: no declaration).
    public static func decode(_ bytes: some Collection<UInt8>, label: String?) -> Decoded {
        let input = Array(bytes)
        if input.isEmpty { return Decoded(text: "", lossy: false, guessed: false) }
        if let label, let name = iconvName(for: label) {
            if name == "UTF-8" {
                // Declared ASCII or UTF-8 but not valid UTF-8: Chinese clients do this with GBK.
                if let text = String(validating: input, as: UTF8.self) { return Decoded(text: text, lossy: false, guessed: false) }
                if let gb = strictConvert(input, from: "GB18030") { return Decoded(text: gb, lossy: false, guessed: true) }
                return Decoded(text: String(decoding: input, as: UTF8.self), lossy: true, guessed: false)
            }
            let (text, lossy) = convert(input, from: name)
            return Decoded(text: text, lossy: lossy, guessed: false)
        }
        return guess(input)
    }

    /// No usable declaration: UTF-8 when the bytes are valid UTF-8, else GB18030 (the most common
    /// undeclared non-UTF-8 text in a Chinese wallet's support mail), else Windows-1252.
    static func guess(_ input: [UInt8]) -> Decoded {
        if let text = String(validating: input, as: UTF8.self) { return Decoded(text: text, lossy: false, guessed: input.contains { $0 >= 0x80 }) }
        if let gb = strictConvert(input, from: "GB18030") { return Decoded(text: gb, lossy: false, guessed: true) }
        let (text, lossy) = convert(input, from: "WINDOWS-1252")
        return Decoded(text: text, lossy: lossy, guessed: true)
    }

    /// The text, or nil when any byte is invalid in the charset.
    static func strictConvert(_ input: [UInt8], from name: String) -> String? {
        let (text, lossy) = convert(input, from: name)
        return lossy ? nil : text
    }

    /// Converts with iconv to UTF-8; an invalid or incomplete sequence becomes U+FFFD and
    /// conversion carries on after it.
    static func convert(_ input: [UInt8], from name: String) -> (String, lossy: Bool) {
        let descriptor = iconv_open("UTF-8", name)
        guard descriptor != iconv_t(bitPattern: -1) else { return (String(decoding: input, as: UTF8.self), true) }
        defer { iconv_close(descriptor) }
        var output = [UInt8]()
        output.reserveCapacity(input.count * 3 / 2 + 16)
        var lossy = false
        var chunk = [UInt8](repeating: 0, count: 4096)
        var source = input
        source.withUnsafeMutableBufferPointer { sourceBuffer in
            var inPointer = UnsafeMutableRawPointer(sourceBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var inLeft = sourceBuffer.count
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { chunkBuffer -> (Int32, Int) in
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(chunkBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                    var outLeft = chunkBuffer.count
                    var inOptional: UnsafeMutablePointer<CChar>? = inPointer
                    let result = iconv(descriptor, &inOptional, &inLeft, &outPointer, &outLeft)
                    if let moved = inOptional { inPointer = moved }
                    return (result == -1 ? errno : 0, chunkBuffer.count - outLeft)
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == 0 || status == E2BIG {
                    if inLeft == 0 { break }
                    continue
                }
                // EILSEQ (invalid) or EINVAL (cut short): mark one byte as unreadable, go on after it.
                lossy = true
                output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                if inLeft == 0 { break }
                inPointer += 1
                inLeft -= 1
                if inLeft == 0 { break }
            }
            // Flush any shift state (ISO-2022-JP ends in ASCII).
            chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(chunkBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = chunkBuffer.count
                _ = iconv(descriptor, nil, nil, &outPointer, &outLeft)
                output.append(contentsOf: chunkBuffer[0..<(chunkBuffer.count - outLeft)])
            }
        }
        return (String(decoding: output, as: UTF8.self), lossy)
    }

    /// Encodes UTF-8 text into `name` (used for tests and fixtures); nil when it cannot.
    public static func encode(_ text: String, to label: String) -> [UInt8]? {
        guard let name = iconvName(for: label) else { return nil }
        let descriptor = iconv_open(name, "UTF-8")
        guard descriptor != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(descriptor) }
        var input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 4 + 16)
        let ok = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int? in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                if iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft) == -1 { return nil }
                _ = iconv(descriptor, nil, nil, &outPointer, &outLeft)
                return outBuffer.count - outLeft
            }
        }
        guard let ok else { return nil }
        return Array(output[0..<ok])
    }
}
