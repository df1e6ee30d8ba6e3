import Foundation

/// Splits a reply into what the customer wrote now and the history their client quoted below
/// it, so the console can fold the history away (still one click from view).
public enum QuotedHistory {
    public struct Split: Sendable, Equatable {
        public var reply: String
        /// Empty when nothing looked quoted.
        public var quoted: String
    }

    // Built once and shared (a Regex is not Sendable, hence `nonisolated(unsafe)`; its compiled
    // program is set up once, atomically): a regex literal is compiled again each time it is
    // evaluated, and these ran for every line of every received mail.
    /// Lines that start quoted history in the clients Kefu's customers use.
    nonisolated(unsafe) static let separators: [Regex<Substring>] = [
        /^-{2,}\s*(?:Original Message|Forwarded message|原始邮件|原始信件|转发的邮件)\s*-{2,}\s*$/,  // Outlook, Gmail, QQ, Foxmail
        /^_{10,}\s*$/,  // Outlook on the web
        /^(?:From|发件人|寄件者)\s*[:：].+$/,  // Outlook block: From: / Sent: / To:
    ]
    /// "On Tue, 3 Nov 2026 at 10:02, Li Wei <li@example.cn> wrote:" (may wrap onto two lines)
    nonisolated(unsafe) static let attributionStart = /^(?:>\s*)?(?:On\s.+|在\s?.+|于\s?.+|Le\s.+|Am\s.+)$/
    nonisolated(unsafe) static let attributionEnd = /(?:wrote|写道|寫道|écrit|schrieb)\s*[:：]\s*$/
    /// The "Sent:" or "Date:" line of an Outlook header block.
    nonisolated(unsafe) static let outlookSent = /^(Sent|Date|发送时间|日期|寄件日期)\s*[:：]/

    public static func split(_ text: String) -> Split {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, index > 0 || lines.count > 1 else { continue }
            if startsHistory(at: index, lines: lines) {
                let reply = lines[..<index].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                // A mail that is only a quote (a forward with no note) keeps its text visible.
                if reply.isEmpty { return Split(reply: text.trimmingCharacters(in: .whitespacesAndNewlines), quoted: "") }
                return Split(reply: reply, quoted: lines[index...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        return Split(reply: text.trimmingCharacters(in: .whitespacesAndNewlines), quoted: "")
    }

    static func startsHistory(at index: Int, lines: [String]) -> Bool {
        let line = lines[index].trimmingCharacters(in: .whitespaces)
        if line.wholeMatch(of: attributionStart) != nil {
            if line.firstMatch(of: attributionEnd) != nil { return true }
            if index + 1 < lines.count, lines[index + 1].trimmingCharacters(in: .whitespaces).firstMatch(of: attributionEnd) != nil {
                return true
            }
        }
        for separator in separators where line.wholeMatch(of: separator) != nil {
            // An Outlook "From:" line only counts with a "Sent:"/"发送时间:" or "Date:" soon after.
            if line.hasPrefix("From") || line.hasPrefix("发件人") || line.hasPrefix("寄件者") {
                let next = lines[(index + 1)..<min(lines.count, index + 4)].map { $0.trimmingCharacters(in: .whitespaces) }
                return next.contains { $0.firstMatch(of: outlookSent) != nil }
            }
            return true
        }
        // A block of ">" lines to the end (allowing blank lines and a signature-free tail).
        if line.hasPrefix(">") {
            let rest = lines[index...].map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return rest.allSatisfy { $0.hasPrefix(">") }
        }
        return false
    }
}
