/// Fills a template's `{{KEY}}` placeholders. Every value is produced by the
/// emitter itself: identifiers that passed `Identifier`, numbers, or code.
struct TemplateRenderer {
    var values: [String: String] = [:]

    subscript(key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// The template with every known placeholder replaced; unknown ones are
    /// left as they are (tests check that none remain).
    func render(_ template: String) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let key = String(rest[open.upperBound..<close.lowerBound])
            output += values[key] ?? "{{\(key)}}"
            rest = rest[close.upperBound...]
        }
        return output + rest
    }
}
