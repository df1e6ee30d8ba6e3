/// Edit distance for typo correction ("authenticater" → "authenticator").
public enum EditDistance {
    /// Optimal string alignment distance (insert, delete, substitute, swap adjacent) over Characters;
    /// returns nil as soon as it is certain the distance exceeds `limit`.
    public static func distance(_ a: String, _ b: String, limit: Int) -> Int? {
        guard limit >= 0 else { return nil }
        if a == b { return 0 }
        // Most vocabulary words are ASCII: compare bytes then, not grapheme clusters.
        if a.utf8.allSatisfy({ $0 < 0x80 }) && b.utf8.allSatisfy({ $0 < 0x80 }) {
            return optimalStringAlignment(Array(a.utf8), Array(b.utf8), limit: limit)
        }
        return optimalStringAlignment(Array(a), Array(b), limit: limit)
    }

    /// The classic dynamic programme, restricted to the diagonal band |i − j| ≤ limit (cells
    /// outside it already exceed the limit) and stopped when a whole row exceeds the limit.
    static func optimalStringAlignment<Element: Equatable>(_ a: [Element], _ b: [Element], limit: Int) -> Int? {
        // Common prefix and suffix cost nothing; trimming them shrinks the table.
        var start = 0
        while start < a.count && start < b.count && a[start] == b[start] { start += 1 }
        var endA = a.count
        var endB = b.count
        while endA > start && endB > start && a[endA - 1] == b[endB - 1] {
            endA -= 1
            endB -= 1
        }
        let s = a[start..<endA]
        let t = b[start..<endB]
        let n = s.count
        let m = t.count
        guard abs(n - m) <= limit else { return nil }
        if n == 0 || m == 0 { return max(n, m) }

        // Values are capped at `over`: anything above the limit is as bad as anything else.
        let over = limit + 1
        var previous2 = [Int](repeating: over, count: m + 1)
        var previous = [Int](repeating: over, count: m + 1)
        var current = [Int](repeating: over, count: m + 1)
        for j in 0...min(m, over) { previous[j] = j }

        for i in 1...n {
            let si = s[s.startIndex + i - 1]
            let low = max(1, i - limit)
            let high = min(m, i + limit)
            current[0] = min(i, over)
            // The cell just left of the band must read as "over", not as a stale value.
            if low > 1 { current[low - 1] = over }
            var rowMinimum = current[0]
            if low <= high {
                for j in low...high {
                    let tj = t[t.startIndex + j - 1]
                    var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (si == tj ? 0 : 1))
                    if i > 1, j > 1, si == t[t.startIndex + j - 2], s[s.startIndex + i - 2] == tj {
                        value = min(value, previous2[j - 2] + 1)
                    }
                    value = min(value, over)
                    current[j] = value
                    rowMinimum = min(rowMinimum, value)
                }
            }
            if high < m { current[high + 1] = over }
            // A row entirely above the limit means every later row is too (each cell grows from it).
            if rowMinimum > limit { return nil }
            swap(&previous2, &previous)
            swap(&previous, &current)
        }
        let result = previous[m]
        return result <= limit ? result : nil
    }
}
