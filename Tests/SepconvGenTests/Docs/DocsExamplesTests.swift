import Foundation
import Testing
@testable import SepconvGen

/// Every example in `README.md` and `docs/*.md` works as written, and the
/// reference pages cover every key, activation and option the tool has.
///
/// A fenced block is tested by its language and by the marker on the line
/// right before its fence (an HTML comment, invisible on GitHub):
///
/// | block | marker | test |
/// | --- | --- | --- |
/// | ```yaml | none | a whole spec that compiles (parse, decode, weights, plan) as if it were a file in `Specs/`, whose weight files it may name; notes are fine |
/// | ```yaml | `<!-- test: error TEXT -->` | compiling it fails with an error whose message contains TEXT |
/// | ```sh | `<!-- test: run -->` | run by `bash -e` in a scratch folder holding a copy of `Specs/`, with the built `sepconv-gen` first on `PATH`; exits 0 |
/// | ```sh | `<!-- test: fails -->` | the same, but must exit with a status other than 0, without crashing |
///
/// Two options may come first, each followed by `, ` when more follows:
/// `skip FEATURE` skips the block, printing why, until FEATURE (one of
/// `pending`) is merged (delete the option to test it); `in DIR` compiles the
/// spec as a file in the repository's folder DIR instead of `Specs/`, or runs
/// the shell block in a copy of DIR (with `Specs/` copied into it too).
/// Other blocks (```sh without a marker, ```c, ```swift, plain ```) are shown, not run.
@Suite struct DocsExamplesTests {
    /// One fenced block of a document.
    struct Example: Sendable, CustomTestStringConvertible {
        /// The document, relative to the repository (`docs/cli.md`).
        var file: String
        /// The line of the opening fence.
        var line: Int
        var language: String
        /// The marker's words after `test:`, or nil.
        var marker: String?
        var body: String

        /// The feature of a `skip FEATURE` option.
        var skip: String? { option("skip ") }
        /// The folder of an `in DIR` option.
        var folder: String? { option("in ") }
        /// What the marker asks after its options: `run`, `fails`, `error TEXT`, or nil.
        var action: String? {
            var rest = Substring(marker ?? "")
            while rest.hasPrefix("skip ") || rest.hasPrefix("in ") {
                guard let comma = rest.firstRange(of: ", ") else { return nil }
                rest = rest[comma.upperBound...]
            }
            return rest.isEmpty ? nil : String(rest)
        }
        /// Whether the block calls a C or Swift compiler (then it belongs to the compile suites).
        var runsACompiler: Bool {
            body.split(whereSeparator: \.isNewline).contains { line in
                let command = line.split(separator: " ").first.map(String.init) ?? ""
                return ["cc", "gcc", "clang", "swiftc", "c++", "make", "cmake", "swift"].contains(command)
            }
        }
        /// The text of `error TEXT`.
        var expectedError: String? {
            action.flatMap { $0.hasPrefix("error ") ? String($0.dropFirst(6)) : nil }
        }

        private func option(_ prefix: String) -> String? {
            var rest = Substring(marker ?? "")
            while rest.hasPrefix("skip ") || rest.hasPrefix("in ") {
                let end = rest.firstRange(of: ", ")
                let word = rest[..<(end?.lowerBound ?? rest.endIndex)]
                if word.hasPrefix(prefix) { return String(word.dropFirst(prefix.count)) }
                guard let end else { return nil }
                rest = rest[end.upperBound...]
            }
            return nil
        }

        var testDescription: String { "\(file):\(line)" }
    }

    /// Features whose examples are skipped until they are merged, and why.
    static let pending: [String: String] = [:]

    /// `README.md` and every `docs/*.md`.
    static let documents: [String] = {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.repository.appendingPathComponent("docs").path)) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }()

    static func text(_ document: String) -> String {
        (try? String(contentsOf: Fixtures.repository.appendingPathComponent(document), encoding: .utf8)) ?? ""
    }

    static let examples: [Example] = documents.flatMap { parse(text($0), file: $0) }

    /// The fenced blocks of `text`, each with the marker on the line before it.
    static func parse(_ text: String, file: String) -> [Example] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var examples: [Example] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("```") else {
                index += 1
                continue
            }
            let language = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
            var marker: String?
            if index > 0, let match = lines[index - 1].firstMatch(of: #/^<!-- test: (.*) -->$/#) {
                marker = String(match.1)
            }
            var end = index + 1
            while end < lines.count, !lines[end].hasPrefix("```") { end += 1 }
            let body = lines[(index + 1)..<min(end, lines.count)].joined(separator: "\n") + "\n"
            examples.append(Example(file: file, line: index + 1, language: language, marker: marker, body: body))
            index = end + 1
        }
        return examples
    }

    static let specExamples = examples.filter { $0.language == "yaml" && $0.skip == nil }
    static let shellExamples = examples.filter {
        $0.language == "sh" && $0.skip == nil && ($0.action == "run" || $0.action == "fails")
    }
    /// The shell examples that run a C or Swift compiler: `DocsExamplesCompileTests` runs them.
    static let compilingShellExamples = shellExamples.filter(\.runsACompiler)
    /// The shell examples that run only the tool.
    static let toolShellExamples = shellExamples.filter { !$0.runsACompiler }

    /// The folder an example's spec is compiled in, or its shell block copies.
    static func folder(of example: Example) -> URL {
        Fixtures.repository.appendingPathComponent(example.folder ?? "Specs")
    }

    // MARK: - The examples

    @Test func documentsHoldExamplesWithKnownMarkers() {
        #expect(Self.documents.count >= 8, "README.md and the docs/ pages: \(Self.documents)")
        #expect(Self.specExamples.count >= 8)
        #expect(Self.shellExamples.count >= 8)
        for example in Self.examples {
            guard let marker = example.marker else { continue }
            let action = example.action
            let known = action == nil || action == "run" || action == "fails" || example.expectedError != nil
            #expect(known, "\(example.testDescription): unknown marker '\(marker)'")
            #expect(example.skip.map { Self.pending[$0] != nil } ?? true, "\(example.testDescription): unknown feature in '\(marker)'")
            #expect(action != nil || example.skip != nil || example.folder != nil, "\(example.testDescription): empty marker")
            if example.skip != nil, example.language == "sh" {
                #expect(action == "run" || action == "fails", "\(example.testDescription): a skipped shell block says whether it runs or fails once enabled")
            }
            if action == "run" || action == "fails" {
                #expect(example.language == "sh", "\(example.testDescription): '\(marker)' marks a shell block")
            }
            if example.expectedError != nil {
                #expect(example.language == "yaml", "\(example.testDescription): 'error' marks a spec")
            }
        }
    }

    @Test func pendingExamplesAreSkippedWithAReason() {
        let skipped = Self.examples.filter { $0.skip != nil }
        for example in skipped {
            let feature = example.skip ?? ""
            print("skipped \(example.testDescription) (\(feature)): \(Self.pending[feature] ?? "unknown feature")")
        }
        #expect(skipped.allSatisfy { Self.pending[$0.skip ?? ""] != nil })
    }

    @Test(arguments: specExamples)
    func specExampleCompilesAsDocumented(_ example: Example) throws {
        let name = example.file.replacingOccurrences(of: "/", with: "-") + "-\(example.line).yaml"
        let file = Self.folder(of: example).appendingPathComponent(name).path
        let expectedError = example.expectedError
        do {
            let contents = Array(example.body.utf8)
            // A network spec (SPEC section 8) goes to the network compiler, as the command line sends it.
            let name = NetworkCompiler.isNetwork(try YAMLParser.parse(contents, file: file)) ? try NetworkCompiler().compile(file: file, contents: contents).plan.name
                : try SpecCompiler().compile(file: file, contents: contents).plan.name
            #expect(expectedError == nil, "\(example.testDescription) compiled, but the docs say it fails with: \(expectedError ?? "")")
            #expect(!name.isEmpty)
        } catch {
            let errors = error.diagnostics.filter { $0.severity == .error }.map(\.message)
            if let expectedError {
                #expect(errors.contains { $0.contains(expectedError) }, "\(example.testDescription): expected an error with '\(expectedError)', got \(errors)")
            } else {
                Issue.record("\(example.testDescription) does not compile: \(errors)")
            }
        }
    }

    @Test(arguments: toolShellExamples)
    func shellExampleRunsAsDocumented(_ example: Example) throws {
        try Self.runShellExample(example)
    }

    /// Runs a shell block in a scratch folder (a copy of `Specs/`, and of the
    /// example's folder when it names one) with the built tool on the PATH.
    static func runShellExample(_ example: Example) throws {
        let binary = try CLIRunner.requireExecutable()
        let scratch = try ScratchFolder(prefix: "docs-example")
        let work = example.folder == nil ? "" : "work/"
        if example.folder != nil { try scratch.copy(Self.folder(of: example), to: "work") }
        try scratch.copy(Fixtures.repository.appendingPathComponent("Specs"), to: work + "Specs")
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = binary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        let result = try CLIRunner.run(["-e", "-u", "-o", "pipefail", "-c", example.body], in: scratch.url.appendingPathComponent(work), timeout: 600,
                                       program: URL(fileURLWithPath: "/bin/bash"), environment: environment)
        #expect(!result.crashed && !result.timedOut, "\(example.testDescription): \(result)")
        if example.action == "fails" {
            #expect(result.status != 0, "\(example.testDescription) should fail: \(result)")
        } else {
            #expect(result.status == 0, "\(example.testDescription) failed: \(result)")
        }
    }

    // MARK: - Coverage of the reference pages

    @Test func everyActivationNameIsDocumented() {
        let page = Self.text("docs/spec.md")
        for name in Activation.acceptedNames {
            #expect(page.contains("| `\(name)` |"), "docs/spec.md has no row for activation '\(name)'")
        }
        #expect(Activation.acceptedNames.count == 31)
        #expect(page.contains("These 31 names"))
    }

    @Test func everySpecKeyIsDocumented() {
        let pages = Self.text("docs/spec.md") + Self.text("docs/weights.md")
        for key in SpecDecoder.topKeys + SpecDecoder.inputKeys + SpecDecoder.acceptedLayerKeys + SpecDecoder.weightKeys {
            #expect(pages.contains("`\(key)`"), "docs/spec.md and docs/weights.md never mention '\(key)'")
        }
    }

    @Test func everyCommandLineOptionIsDocumented() throws {
        let page = Self.text("docs/cli.md")
        let root = try CLIRunner.run(["--help"])
        let subcommands = root.stdout.split(separator: "\n").drop { !$0.hasPrefix("SUBCOMMANDS:") }.dropFirst()
            .prefix { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("See ") }
            .compactMap { line -> String? in
                guard line.hasPrefix("  "), let word = line.split(separator: " ").first, !line.hasPrefix("   ") else { return nil }
                return String(word)
            }
        #expect(subcommands.count >= 3, "subcommands found in --help: \(subcommands)")
        var options: Set<String> = ["--version", "--generate-completion-script"]
        for subcommand in subcommands {
            #expect(page.contains("`\(subcommand)`"), "docs/cli.md does not name the subcommand '\(subcommand)'")
            let help = try CLIRunner.run(["help", subcommand])
            #expect(help.status == 0, "\(help)")
            for match in help.stdout.matches(of: #/(?:^|[\s,\[])(--?[a-z][a-z-]*)/#) {
                options.insert(String(match.1))
            }
        }
        #expect(options.contains("--weights-root") && options.contains("-o"))
        for option in options {
            #expect(page.contains(option), "docs/cli.md does not mention \(option)")
        }
    }

    /// README.md's commands work in the order written, on a fresh clone (issue 23:
    /// the quick start called `sepconv-gen` before the PATH held it): `swift build`,
    /// then the line that puts the built tool on the PATH, and only then the tool.
    @Test func readmeRunsTheToolOnlyOnceItIsOnThePath() throws {
        let lines = Self.examples.filter { $0.file == "README.md" && $0.language == "sh" }
            .flatMap { $0.body.split(separator: "\n").map(String.init) }
        let onPath = try #require(lines.firstIndex { $0.hasPrefix("export PATH=\"$PWD/.build/debug:$PATH\"") },
                                  "README.md puts the built tool on the PATH")
        #expect(lines[..<onPath].contains { $0.hasPrefix("swift build ") || $0 == "swift build" }, "README.md builds the tool first")
        let firstUse = lines.firstIndex { $0.firstMatch(of: #/(^|[;&|(]\s*)sepconv-gen(\s|$)/#) != nil }
        #expect(firstUse.map { $0 > onPath } ?? false, "README.md runs sepconv-gen before it is on the PATH: \(firstUse.map { lines[$0] } ?? "")")
        // `swift build` put the tool where that line looks, when the tests were built in the default folder.
        let build = Fixtures.repository.appendingPathComponent(".build").resolvingSymlinksInPath().path + "/"
        if let tool = CLIRunner.executable?.resolvingSymlinksInPath(), tool.path.hasPrefix(build), tool.deletingLastPathComponent().lastPathComponent == "debug" {
            let named = Fixtures.repository.appendingPathComponent(".build/debug/sepconv-gen").resolvingSymlinksInPath()
            #expect(named.path == tool.path, "README.md's PATH names \(named.path), the tests run \(tool.path)")
        }
    }

    /// Examples/README.md counts its examples as they are: one folder each
    /// (`shared/` holds their spec), each named in a heading (issue 23: it said
    /// "All three" of five).
    @Test func examplesPageCountsEveryExample() throws {
        let examples = Fixtures.repository.appendingPathComponent("Examples")
        let folders = try FileManager.default.contentsOfDirectory(atPath: examples.path).filter { name in
            var isFolder: ObjCBool = false
            return name != "shared" && !name.hasPrefix(".")
                && FileManager.default.fileExists(atPath: examples.appendingPathComponent(name).path, isDirectory: &isFolder) && isFolder.boolValue
        }
        let page = Self.text("Examples/README.md")
        let words = ["two", "three", "four", "five", "six", "seven", "eight"]
        try #require((2...8).contains(folders.count), "\(folders)")
        let word = words[folders.count - 2]
        #expect(page.contains("The \(word) examples") && page.contains("## All \(word)\n"), "Examples/README.md should count \(folders.count) examples")
        for other in words where other != word {
            #expect(!page.lowercased().contains("all \(other)"), "Examples/README.md says 'all \(other)' of \(folders.count) examples")
        }
        for folder in folders {
            #expect(page.contains("(`\(folder)/`"), "Examples/README.md has no section on \(folder)/")
        }
    }

    @Test func relativeLinksLeadToFilesInTheRepository() {
        for document in Self.documents {
            let folder = Fixtures.repository.appendingPathComponent(document).deletingLastPathComponent()
            for match in Self.text(document).matches(of: #/\]\(([^)\s#]+)(#[^)\s]*)?\)/#) {
                let target = String(match.1)
                guard !target.contains("://"), !target.hasPrefix("mailto:") else { continue }
                let url = folder.appendingPathComponent(target).standardizedFileURL
                #expect(FileManager.default.fileExists(atPath: url.path), "\(document) links to \(target), which does not exist")
                #expect(url.path.hasPrefix(Fixtures.repository.standardizedFileURL.path + "/"), "\(document) links outside the repository: \(target)")
            }
        }
    }
}
