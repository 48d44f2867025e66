import ArgumentParser
import SepconvGen

/// `sepconv-gen explain SPEC [--json]`: the IR, for people or machines.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show the plan: shapes, pads, receptive field, cost, unrolling, and which input steps feed each output step."
    )

    @Argument(help: "The spec file.")
    var spec: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(help: "full, loops or auto: the unrolling to explain.")
    var unroll: UnrollRequest = .auto

    @Option(help: "A folder that weight paths may reach besides the spec's own folder.")
    var weightsRoot: String?

    func run() throws {
        do {
            let root = try SpecCompiler.parse(spec)
            if let network = try NetworkCompiler(weightsRoot: weightsRoot).compileIfNetwork(file: spec, root: root) {
                DiagnosticPrinter.print(network.notes)
                print(json ? NetworkExplainer.json(network.plan) : NetworkExplainer.text(network.plan), terminator: "")
                return
            }
            let compiled = try SpecCompiler(weightsRoot: weightsRoot, unroll: unroll).compile(file: spec, root: root)
            DiagnosticPrinter.print(compiled.notes)
            print(json ? Explainer.json(compiled.plan) : Explainer.text(compiled.plan), terminator: "")
        } catch {
            DiagnosticPrinter.print(error.diagnostics)
            throw ExitCode.failure
        }
    }
}
