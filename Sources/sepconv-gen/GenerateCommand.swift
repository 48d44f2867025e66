import ArgumentParser
import Foundation
import SepconvGen

extension UnrollRequest: ExpressibleByArgument {}
extension LanguageSelection: ExpressibleByArgument {}

/// `sepconv-gen SPEC... -o DIR`: emit C and/or Swift for each spec.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Emit N.h and N.c (C) and N.swift (Swift) for each spec named N."
    )

    @Argument(help: "The spec files (YAML).")
    var specs: [String]

    @Option(name: .shortAndLong, help: "The folder to write into (created if missing).")
    var output: String

    @Option(help: "The languages to emit: c, swift or all.")
    var lang: LanguageSelection = .all

    @Option(help: "full: no loop but the batch loop; loops: loops over output steps; auto: full within the unroll budget.")
    var unroll: UnrollRequest = .auto

    @Flag(help: "Write nothing; exit 1 when any output file is missing or would change.")
    var check = false

    @Option(help: "Write a Make-style dependency file (outputs: spec and weight files).")
    var depfile: String?

    @Option(help: "A folder that weight paths may reach besides each spec's own folder.")
    var weightsRoot: String?

    mutating func validate() throws {
        guard !specs.isEmpty else { throw ValidationError("give at least one spec file") }
    }

    func run() throws {
        let compiler = SpecCompiler(weightsRoot: weightsRoot, unroll: unroll)
        var diagnostics: [Diagnostic] = []
        var files: [OutputFile] = []
        var dependencies: [String] = []
        var owners: [String: (spec: String, kind: String)] = [:]
        for spec in specs {
            do {
                let emitted: [OutputFile]
                let nameMark: Mark
                let found: [String]
                var depfileErrors: [Diagnostic] = []
                let root = try SpecCompiler.parse(spec)
                if let network = try NetworkCompiler(weightsRoot: weightsRoot).compileIfNetwork(file: spec, root: root) {
                    diagnostics += network.notes
                    emitted = try NetworkGenerator.files(for: network, languages: lang.languages)
                    (nameMark, found) = (network.mark, network.dependencies)
                    if depfile != nil {
                        depfileErrors = found.compactMap { dependency in
                            DepfileRule.problem(with: dependency).map {
                                Diagnostic(.error, "'\(Identifier.printable(dependency))' cannot be named in the depfile: \($0)", file: spec, at: network.mark)
                            }
                        }
                    }
                } else {
                    let compiled = try compiler.compile(file: spec, root: root)
                    diagnostics += compiled.notes
                    emitted = Generator.files(for: compiled.plan, languages: lang.languages)
                    (nameMark, found) = (compiled.spec.mark("name"), compiled.dependencies)
                    if depfile != nil { depfileErrors = Self.depfileProblems(compiled) }
                }
                // What each file declares, as its emitter declared it, and the file names themselves.
                let declared = emitted.map { (name: $0.name, kind: "output file") }
                    + emitted.flatMap(\.declares).map { (name: $0.name, kind: $0.kind.rawValue) }
                let clashes = declared.compactMap { one in owners[one.name].map { (one.name, one.kind, $0) } }
                if let (clash, kind, other) = clashes.first {
                    let message = "the \(kind) '\(clash)' of this spec is also the \(other.kind) '\(clash)' of \(other.spec); "
                        + "their outputs cannot go into one folder (rename one of them)"
                    diagnostics.append(Diagnostic(.error, message, file: spec, at: nameMark))
                    continue
                }
                for one in declared { owners[one.name] = (spec, one.kind) }
                files += emitted
                diagnostics += depfileErrors
                dependencies += found
            } catch {
                diagnostics += error.diagnostics
            }
        }
        DiagnosticPrinter.print(diagnostics)
        guard !diagnostics.contains(where: { $0.severity == .error }) else { throw ExitCode.failure }

        do {
            try Destination.checkSpelling(output)
            _ = try Destination.missingFolders(output, for: output)
        } catch {
            DiagnosticPrinter.error("cannot use the output folder: \(error.message)", file: output)
            throw ExitCode.failure
        }
        let outputs = files.map { OutputWriter.Output(path: (output as NSString).appendingPathComponent($0.name), bytes: Array($0.contents.utf8)) }
        var all = outputs
        if let depfile {
            if let bad = outputs.first(where: { DepfileRule.problem(with: $0.path) != nil }) {
                DiagnosticPrinter.error("this output cannot be named in the depfile: \(DepfileRule.problem(with: bad.path) ?? "")", file: bad.path)
                throw ExitCode.failure
            }
            let rule = DepfileRule(targets: outputs.map(\.path), dependencies: dependencies)
            all.append(OutputWriter.Output(path: depfile, bytes: Array(rule.text.utf8)))
        }
        if check {
            // The depfile is an output like the others: a stale one fails the check too.
            let stale = OutputWriter.stale(all)
            for file in stale {
                DiagnosticPrinter.error(FileManager.default.fileExists(atPath: file.path)
                    ? "out of date: regenerate it (run without --check)" : "missing: generate it (run without --check)",
                    file: file.path)
            }
            guard stale.isEmpty else { throw ExitCode.failure }
            return
        }
        do {
            try OutputWriter.write(all, inputs: specs + dependencies)
        } catch {
            DiagnosticPrinter.error(error.message, file: error.path)
            throw ExitCode.failure
        }
    }

    /// An error for each file of `compiled` that a depfile cannot name,
    /// at the weight's node when it is a weight file, else at the spec's start.
    private static func depfileProblems(_ compiled: SpecCompiler.Compiled) -> [Diagnostic] {
        let file = compiled.spec.file
        let folder = (file as NSString).deletingLastPathComponent
        var weightMarks: [String: Mark] = [:]
        if let weights = compiled.spec.weights {
            for source in [weights.depthwiseKernel, weights.pointwiseKernel] + (weights.bias.map { [$0] } ?? []) {
                // The path as the loader names it for the depfile: relative to the spec's folder unless absolute.
                if case .file(let path, let mark) = source {
                    weightMarks[path.hasPrefix("/") || folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)] = mark
                }
            }
        }
        return compiled.dependencies.compactMap { dependency in
            guard let problem = DepfileRule.problem(with: dependency) else { return nil }
            let mark = dependency == file ? nil : weightMarks[dependency]
            return Diagnostic(.error, "'\(Identifier.printable(dependency))' cannot be named in the depfile: \(problem)",
                              file: Identifier.printable(file), at: mark ?? .start)
        }
    }
}
