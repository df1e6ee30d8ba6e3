import Foundation

/// What the board does to text before it checks and stores it: line breaks as one character
/// (browsers submit CRLF; a limit the textarea allowed must not be broken by it), direction
/// controls taken out of one-line text (an override in a title turns the rest of the line it is
/// shown on around: the console's tags, the page title), and "visible" meaning a character a
/// reader can see (fillers and format characters are not).
public enum BoardText {
    public static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }

    /// One line of text: no direction embeddings, overrides or isolates.
    public static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { !directionControls.contains($0.value) }))
    }

    /// How many characters of `text` can be seen.
    public static func visibleCount(_ text: String) -> Int {
        text.unicodeScalars.filter { scalar in
            !scalar.properties.isWhitespace && scalar.properties.generalCategory != .format && scalar.properties.generalCategory != .control
                && !invisibleLetters.contains(scalar.value)
        }.count
    }

    static let directionControls: Set<UInt32> = [0x200E, 0x200F, 0x061C, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069]
    /// Letters that draw nothing: Hangul fillers, the blank Braille pattern, the Mongolian vowel separator.
    static let invisibleLetters: Set<UInt32> = [0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E]
}
