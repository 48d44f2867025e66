/// A Make rule: the outputs depend on the spec and weight files, written as
/// GNU Make (and Ninja) read a depfile, every prerequisite also given an
/// empty rule so that deleting one does not stop Make.
struct DepfileRule {
    var targets: [String]
    var dependencies: [String]

    /// Why `path` cannot be named in a depfile, or nil when it can. Make has
    /// no escape for a line break, `;` or `=` in a name, nor for a trailing backslash.
    static func problem(with path: String) -> String? {
        if path.contains(where: { $0 == "\n" || $0 == "\r" }) { return "it holds a line break" }
        if path.unicodeScalars.contains("\0") { return "it holds a NUL byte" }
        if let bad = path.first(where: { $0 == ";" || $0 == "=" }) { return "it holds '\(bad)', which Make cannot escape" }
        if path.hasSuffix("\\") { return "it ends with a backslash, which Make cannot escape" }
        return nil
    }

    /// `out/a.h out/a.c: spec.yaml w.npy`, then `spec.yaml:` and `w.npy:`.
    var text: String {
        var seen = Set<String>()
        let unique = dependencies.filter { seen.insert($0).inserted }
        let line = targets.map { Self.escape($0, asTarget: true) }.joined(separator: " ") + ": "
            + unique.map { Self.escape($0, asTarget: false) }.joined(separator: " ") + "\n"
        return line + unique.map { Self.escape($0, asTarget: true) + ":\n" }.joined()
    }

    /// `path` escaped as Make reads a name: `\` before a space, tab, `#` or `:`
    /// (the backslashes before it doubled), `$$` for `$`, and `\%` in a target,
    /// where a bare `%` would make a pattern rule (in a prerequisite `%` is plain).
    static func escape(_ path: String, asTarget: Bool) -> String {
        var result = ""
        var backslashes = 0
        for character in path {
            switch character {
            case " ", "\t", "#", ":":
                result += String(repeating: "\\", count: backslashes) + "\\" + String(character)
            case "%" where asTarget:
                result += "\\%"
            case "$":
                result += "$$"
            default:
                result.append(character)
            }
            backslashes = character == "\\" ? backslashes + 1 : 0
        }
        return result
    }
}
