import Testing
@testable import SepconvGen

@Suite struct YAMLParserTests {
    private func parse(_ text: String) throws(DiagnosticError) -> Node {
        try YAMLParser.parse(Array(text.utf8), file: "t.yaml")
    }

    private func error(_ text: String) -> Diagnostic? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.diagnostics.first
        }
    }

    @Test func keepsOrderAndMarks() throws {
        let node = try parse("b: 1\na:\n  - x\n  - 'y'\n")
        guard case .mapping(let mapping) = node else { Issue.record("not a mapping"); return }
        #expect(mapping.pairs.map(\.key.text) == ["b", "a"])
        #expect(mapping.pairs[1].key.mark == Mark(line: 2, column: 1))
        guard case .sequence(let list) = mapping["a"] else { Issue.record("not a list"); return }
        #expect(list.items.map(\.mark) == [Mark(line: 3, column: 5), Mark(line: 4, column: 5)])
        guard case .scalar(let quoted) = list.items[1] else { Issue.record("not a scalar"); return }
        #expect(!quoted.isPlain)
        #expect(quoted.resolved == .string("y"))
    }

    @Test func resolvesYAML11Scalars() throws {
        let node = try parse("[~, null, yes, Off, 0x1F, -12, 1_000, 1.5e3, .inf, abc, '3']")
        guard case .sequence(let list) = node else { Issue.record("not a list"); return }
        let values = list.items.compactMap { item -> ScalarValue? in
            if case .scalar(let scalar) = item { return scalar.resolved }
            return nil
        }
        #expect(values == [.null, .null, .bool(true), .bool(false), .int(31), .int(-12), .int(1000),
                           .float(1500), .float(.infinity), .string("abc"), .string("3")])
    }

    @Test func rejectsDuplicateKeysAtTheSecondKey() {
        let diagnostic = error("a: 1\nb: 2\na: 3\n")
        #expect(diagnostic?.mark == Mark(line: 3, column: 1))
        #expect(diagnostic?.message.contains("duplicate key 'a'") == true)
    }

    @Test func rejectsSeveralDocuments() {
        let diagnostic = error("a: 1\n---\nb: 2\n")
        #expect(diagnostic?.mark.line == 2)
        #expect(diagnostic?.message.contains("one YAML document") == true)
    }

    @Test func rejectsEmptyInput() {
        #expect(error("")?.message.contains("empty") == true)
        #expect(error("# only a comment\n")?.message.contains("empty") == true)
    }

    @Test func reportsSyntaxErrorsWithPosition() {
        let diagnostic = error("a: [1, 2\nb: 3\n")
        #expect(diagnostic?.message.hasPrefix("YAML syntax error") == true)
        #expect((diagnostic?.mark.line ?? 0) >= 1)
        #expect(error("a:\n\tb: 1\n")?.message.hasPrefix("YAML syntax error") == true)
    }

    @Test func boundsAliasExpansion() {
        var text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
        var previous = "a"
        for level in 0..<8 {
            let name = "l\(level)"
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = name
        }
        #expect(error(text)?.message.contains("aliases expand") == true)
        // A small alias is fine.
        #expect(error("a: &x [1, 2]\nb: *x\n") == nil)
        #expect(error("a: *nothing\n")?.message.contains("unknown alias") == true)
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(error(deep)?.message.contains("nested more than") == true)
    }

    @Test func rejectsComplexKeys() {
        #expect(error("? [a, b]\n: 1\n")?.message.contains("mapping keys") == true)
    }
}
