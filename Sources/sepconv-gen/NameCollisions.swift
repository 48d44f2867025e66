import SepconvGen

/// The names one spec's outputs take beside other specs' outputs: their file
/// names, and what code that includes or imports them sees: the C header's
/// macros, functions, types and include guard, the Swift file's top-level
/// type. Two specs of one run into one folder must share none of them.
enum NameCollisions {
    /// What `files` (one spec's outputs) declare, each with the kind of name it is.
    static func declared(by files: [OutputFile], name: String) -> [(name: String, kind: String)] {
        var names = files.map { (name: $0.name, kind: "output file") }
        for file in files {
            if file.name.hasSuffix(".h") {
                let text = stripComments(file.contents)
                if let guardName = text.firstMatch(of: #/#ifndef\s+(\w+)/#)?.1 {
                    names.append((String(guardName), "include guard"))
                }
                var seen = Set<String>()
                for match in text.matches(of: #/[A-Za-z_]\w*/#) {
                    let token = String(match.0)
                    if (token == name || token.hasPrefix(name + "_")) && seen.insert(token).inserted {
                        names.append((token, "C name"))
                    }
                }
            } else if file.name.hasSuffix(".swift"), let type = file.contents.firstMatch(of: #/\npublic (?:enum|struct|final class) (\w+)/#)?.1 {
                names.append((String(type), "Swift type"))
            }
        }
        return names
    }

    /// `text` without its C comments.
    private static func stripComments(_ text: String) -> String {
        text.replacing(#/\/\*[\s\S]*?\*\/|\/\/[^\n]*/#, with: " ")
    }
}
