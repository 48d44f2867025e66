import Foundation

/// Keras's own name transformations, as `keras.src.utils.naming` and
/// `saving_lib` apply them.
enum KerasName {
    /// `naming.to_snake_case`: how Keras 3 names a layer's group in a weights file (`SeparableConv1D` → `separable_conv1d`).
    static func snakeCase(_ name: String) -> String {
        var text = replace(#"[^\p{L}\p{N}_]+"#, in: name, with: "")
        text = replace(#"(.)(\p{Lu}\p{Ll}+)"#, in: text, with: "$1_$2")
        return replace(#"(\p{Ll})(\p{Lu})"#, in: text, with: "$1_$2").lowercased()
    }

    private static func replace(_ pattern: String, in text: String, with template: String) -> String {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return text }
        return expression.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }

    /// `saving_lib._get_unique_name`: the first use of a name keeps it, later ones get `_1`, `_2`, ...
    static func unique(_ name: String, _ used: inout [String: Int]) -> String {
        if let count = used[name] {
            used[name] = count + 1
            return "\(name)_\(count + 1)"
        }
        used[name] = 0
        return name
    }
}
