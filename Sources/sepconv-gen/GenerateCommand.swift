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
        var owners: [String: String] = [:]
        for spec in specs {
            do {
                let compiled = try compiler.compile(file: spec)
                diagnostics += compiled.notes
                if let other = owners[compiled.plan.name] {
                    diagnostics.append(Diagnostic(.error, "the name '\(compiled.plan.name)' is also used by \(other); outputs would collide",
                                                  file: spec, at: compiled.spec.mark("name")))
                    continue
                }
                owners[compiled.plan.name] = spec
                files += Generator.files(for: compiled.plan, languages: lang.languages)
                dependencies += compiled.dependencies
            } catch {
                diagnostics += error.diagnostics
            }
        }
        DiagnosticPrinter.print(diagnostics)
        guard !diagnostics.contains(where: { $0.severity == .error }) else { throw ExitCode.failure }

        let writer = OutputWriter(folder: output)
        if check {
            let stale = writer.staleFiles(files)
            for file in stale {
                DiagnosticPrinter.error(FileManager.default.fileExists(atPath: writer.path(of: file.name))
                    ? "out of date: regenerate it (run without --check)" : "missing: generate it (run without --check)",
                    file: writer.path(of: file.name))
            }
            guard stale.isEmpty else { throw ExitCode.failure }
            return
        }
        do {
            try writer.write(files)
            if let depfile {
                let rule = DepfileRule(targets: files.map { writer.path(of: $0.name) }, dependencies: dependencies)
                try OutputWriter.writeAtomically(rule.text, to: depfile)
            }
        } catch {
            DiagnosticPrinter.error(error.message, file: error.path)
            throw ExitCode.failure
        }
    }
}
