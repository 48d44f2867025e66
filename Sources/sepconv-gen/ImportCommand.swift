import ArgumentParser
import Foundation
import SepconvGen

/// `sepconv-gen import MODEL -o DIR [--fuse]`: one spec per SeparableConv1D in a Keras model.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write DIR/<layer>.yaml for each SeparableConv1D in a Keras .keras or .h5 model or a .tflite model, each taking the layer from the model."
    )

    @Argument(help: "The model: a Keras .keras archive, a legacy .h5 model, or an int8 .tflite model.")
    var model: String

    @Option(name: .shortAndLong, help: "The folder to write the specs into (created if missing).")
    var output: String

    @Flag(help: "Fold the BatchNormalization and activation layers that follow each layer (fuse: true).")
    var fuse = false

    @Flag(help: "Write one spec for the whole model as a network (SPEC section 8): DIR/<model>.yaml.")
    var network = false

    func run() throws {
        if network {
            try importNetwork()
            return
        }
        let plan: ModelImport
        do {
            plan = try ModelImport(model: model, folder: output, fuse: fuse)
        } catch {
            DiagnosticPrinter.error(error.message, file: model)
            throw ExitCode.failure
        }
        let path = { (name: String) in (output as NSString).appendingPathComponent(name) }
        do {
            try OutputWriter.write(plan.specs.map { OutputWriter.Output(path: path("\($0.name).yaml"), bytes: Array($0.text.utf8)) },
                                  inputs: [model])
        } catch {
            DiagnosticPrinter.error(error.message, file: error.path)
            throw ExitCode.failure
        }
        // Names from the model are shown with control characters and escapes as '?': a model
        // must not write to the terminal.
        let shown = Identifier.printable
        var summary = ""
        for spec in plan.specs {
            let shape = spec.inputShape.map { "input (\($0.steps), \($0.channels))" } ?? "input not recorded (add 'input' to the spec)"
            summary += "wrote \(shown(path(spec.name + ".yaml"))): layer '\(shown(spec.layer))', \(shape), \(spec.filters) filters, kernel \(spec.kernelSize)"
            if spec.name != spec.layer { summary += ", spec named '\(spec.name)'" }
            let fused = spec.fused.map(shown).joined(separator: ", ")
            if !spec.fused.isEmpty { summary += fuse ? ", fuses \(fused)" : ", --fuse would fold \(fused)" }
            summary += "\n"
        }
        if !plan.notEmitted.isEmpty {
            let network = model.lowercased().hasSuffix(".tflite") ? "" : " (--network writes one spec for the whole model)"
            summary += "not emitted: \(plan.notEmitted.joined(separator: ", "))\(network)\n"
        }
        if plan.modelIsOutside {
            summary += "note: \(shown(model)) lies outside \(shown(output)): generate with --weights-root naming a folder that contains it\n"
        }
        print(summary, terminator: "")
        // Each layer that cannot be generated is an error of its own; the others' specs are written.
        for problem in plan.problems {
            DiagnosticPrinter.error("layer '\(shown(problem.layer))' not imported: \(problem.message)", file: model)
        }
        if !plan.problems.isEmpty { throw ExitCode.failure }
    }

    private func importNetwork() throws {
        let imported: NetworkImport
        do {
            imported = try NetworkImport(model: model, folder: output)
        } catch {
            for diagnostic in error.diagnostics where diagnostic.severity == .error {
                DiagnosticPrinter.error(diagnostic.message, file: model)
            }
            throw ExitCode.failure
        }
        let path = (output as NSString).appendingPathComponent("\(imported.name).yaml")
        do {
            try OutputWriter.write([OutputWriter.Output(path: path, bytes: Array(imported.text.utf8))], inputs: [model])
        } catch {
            DiagnosticPrinter.error(error.message, file: error.path)
            throw ExitCode.failure
        }
        let plan = imported.plan
        var summary = "wrote \(path): network '\(imported.name)', \(plan.steps.count) steps, input \(Tensor.describe(plan.inputShape)), "
            + "output \(Tensor.describe(plan.outputShape)), workspace \(plan.workspace.size) values\n"
        if !plan.removed.isEmpty { summary += "removed (nothing at inference): \(plan.removed.joined(separator: ", "))\n" }
        if imported.modelIsOutside {
            summary += "note: \(model) lies outside \(output): generate with --weights-root naming a folder that contains it\n"
        }
        print(summary, terminator: "")
    }
}
