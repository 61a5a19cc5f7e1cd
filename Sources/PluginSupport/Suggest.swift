/// "Did you mean" by edit distance.
public enum Suggest {
    /// The candidate closest to any of `inputs`, if it is close enough to be a typo.
    public static func closest(to inputs: [String], among candidates: [String]) -> String? {
        var best: (String, Int)?
        // A typo is short; long garbage would only cost time (quadratic edit distance).
        for input in inputs where !input.isEmpty && input.utf8.count <= 64 {
            for c in candidates {
                let d = distance(input, c)
                if d <= max(2, c.count / 3), d < (best?.1 ?? Int.max) { best = (c, d) }
            }
        }
        return best?.0
    }

    /// Levenshtein distance over characters.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}
