/// "Did you mean" hints for misspelt keys and names.
enum SpellingHint {
    /// The candidate closest to `word` by edit distance, when it is close enough to be a likely typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let lowered = word.lowercased()
        // A shortened or extended key (`dilation` for `dilation_rate`) is the likeliest meaning.
        if lowered.count >= 4, let extended = candidates.first(where: {
            $0.lowercased().hasPrefix(lowered) || lowered.hasPrefix($0.lowercased() + "_")
        }) {
            return extended
        }
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            if distance < (best?.1 ?? .max) { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        return distance <= max(2, candidate.count / 3) ? candidate : nil
    }

    /// ` (did you mean 'x'?)`, or nothing.
    static func suffix(for word: String, in candidates: [String]) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Optimal-string-alignment distance (Levenshtein plus the swap of two
    /// neighbouring letters as one edit), on Unicode scalars; long words are
    /// cut to keep it cheap. A swap is the commonest typo (`rleu`), and plain
    /// Levenshtein counts it as two edits, tying it with unrelated words (`elu`).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars.prefix(64)), b = Array(b.unicodeScalars.prefix(64))
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        // Three rows: the one before the previous is needed for a swap.
        var beforePrevious = Array(repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1], a[i - 1] != b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}
