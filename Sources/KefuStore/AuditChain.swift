import Crypto
import Foundation
import KefuCore

/// The hash chain over the audit log. Each line has a place (`seq`, 1, 2, 3 … without gaps),
/// the hash of the line before it (the first line's is 64 zeros) and its own hash: SHA-256 of
/// the previous hash, a line break and the line's canonical content. Editing any line breaks
/// its hash; deleting or reordering breaks the next line's link or the places; deleting the
/// newest lines is seen against a chain head exported earlier (`kefu audit head`).
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    /// One stored line as the chain reads it: the columns exactly as stored.
    public struct Line: Sendable, Equatable {
        public var id: Int64
        public var seq: Int64?
        public var at: Int64
        public var actorKind: String
        public var actorId: String?
        public var action: String
        public var subjectKind: String
        public var subjectId: String?
        public var detail: String
        public var clientAddress: String?
        public var prevHash: String?
        public var hash: String?

        /// The line as one without a place (found by the query for lines without a proper one).
        init(unplaced line: Line) {
            self = line
            seq = nil
        }

        public init(
            id: Int64, seq: Int64?, at: Int64, actorKind: String, actorId: String?, action: String, subjectKind: String, subjectId: String?,
            detail: String, clientAddress: String?, prevHash: String? = nil, hash: String? = nil
        ) {
            (self.id, self.seq, self.at, self.actorKind, self.actorId, self.action) = (id, seq, at, actorKind, actorId, action)
            (self.subjectKind, self.subjectId, self.detail, self.clientAddress) = (subjectKind, subjectId, detail, clientAddress)
            (self.prevHash, self.hash) = (prevHash, hash)
        }
    }

    /// The canonical content: the stored values under fixed names, keys sorted, a version first
    /// so the form can change without breaking old lines.
    static func canonical(_ line: Line, seq: Int64) -> Data {
        struct Canonical: Encodable {
            var v = 1
            var seq: Int64
            var at: Int64
            var actorKind: String
            var actorId: String?
            var action: String
            var subjectKind: String
            var subjectId: String?
            var detail: String
            var clientAddress: String?
        }
        let content = Canonical(
            seq: seq, at: line.at, actorKind: line.actorKind, actorId: line.actorId, action: line.action, subjectKind: line.subjectKind,
            subjectId: line.subjectId, detail: line.detail, clientAddress: line.clientAddress)
        // Encoding a struct of strings and integers cannot fail.
        return (try? JSONEncoder.sorted.encode(content)) ?? Data()
    }

    public static func hash(_ line: Line, seq: Int64, prev: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data((prev + "\n").utf8))
        hasher.update(data: canonical(line, seq: seq))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The newest link: how many lines the chain holds and the last one's hash.
    public struct Head: Sendable, Equatable, Codable {
        public var seq: Int64
        public var hash: String
        public init(seq: Int64, hash: String) {
            self.seq = seq
            self.hash = hash
        }
        /// `SEQ:HASH`, as `kefu audit head` prints it and `--expect` reads it.
        public var text: String { "\(seq):\(hash)" }
        public init?(text: String) {
            let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":")
            guard parts.count == 2, let seq = Int64(parts[0]), seq >= 0, parts[1].count == 64,
                parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            else { return nil }
            self.init(seq: seq, hash: String(parts[1]))
        }
    }

    /// What a walk of the chain found.
    public struct Verdict: Sendable, Equatable {
        /// Lines checked.
        public var checked: Int64
        /// The chain's newest link as the lines themselves give it.
        public var head: Head
        /// The first line that does not hold, and why; nil when every line holds.
        public var problem: Problem?
    }

    public struct Problem: Sendable, Equatable {
        /// The line's id (as the audit view shows it); nil when lines are missing at the end.
        public var id: Int64?
        public var seq: Int64?
        public var reason: String
    }

    /// Walks the lines in `seq` order, a page at a time (a log may hold millions of lines).
    public struct Walker: Sendable {
        public private(set) var head = Head(seq: 0, hash: genesis)
        public private(set) var problem: Problem?
        /// The time of the line before, in milliseconds.
        var lastAt: Int64?
        /// How far a line may be dated before the line before it (clocks of several instances,
        /// transactions committing out of order) before it reads as backdated.
        static let clockSlack: Int64 = 10 * 60 * 1000
        /// A head exported earlier: the line at its place must have its hash (a chain rebuilt
        /// after an edit has every link right but not that one), and the lines must reach it.
        let expected: Head?

        public init(expecting expected: Head? = nil) { self.expected = expected }

        /// Checks the next line; after the first problem nothing more is checked.
        public mutating func step(_ line: Line) {
            guard problem == nil else { return }
            guard let seq = line.seq, let hash = line.hash, let prev = line.prevHash else {
                problem = Problem(id: line.id, seq: nil, reason: "not in the chain")
                return
            }
            if seq != head.seq + 1 {
                let missing = seq - 1 == head.seq + 1 ? "line \(seq - 1) before it is missing" : "lines \(head.seq + 1)…\(seq - 1) before it are missing"
                let reason = seq > head.seq + 1 ? missing : "place \(seq) is taken twice"
                problem = Problem(id: line.id, seq: seq, reason: reason)
            } else if prev != head.hash {
                problem = Problem(id: line.id, seq: seq, reason: "its link to the line before does not match")
            } else if AuditChain.hash(line, seq: seq, prev: prev) != hash {
                problem = Problem(id: line.id, seq: seq, reason: "its content does not match its hash")
            } else if let lastAt, line.at < lastAt - Self.clockSlack {
                problem = Problem(id: line.id, seq: seq, reason: "it is dated before the line before it")
            } else if let expected, expected.seq == seq, expected.hash != hash {
                problem = Problem(id: line.id, seq: seq, reason: "it is not the line of the exported head: the chain was rewritten up to here")
            } else {
                head = Head(seq: seq, hash: hash)
                lastAt = max(lastAt ?? line.at, line.at)
            }
        }

        /// The verdict once every line was stepped through, against a head exported earlier.
        public func verdict() -> Verdict {
            var problem = problem
            if problem == nil, let expected {
                if expected.seq > head.seq {
                    problem = Problem(id: nil, seq: expected.seq, reason: "lines \(head.seq + 1)…\(expected.seq) of the exported head are missing")
                }
            }
            return Verdict(checked: head.seq, head: head, problem: problem)
        }
    }
}
