import ArgumentParser
import Foundation
import SepconvGen

/// `sepconv-gen import MODEL -o DIR [--fuse]`: one spec per SeparableConv1D in a Keras model.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write DIR/<layer>.yaml for each SeparableConv1D in a Keras .keras or .h5 model, each taking the layer from the model."
    )

    @Argument(help: "The Keras model: a .keras archive or a legacy .h5 model.")
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
            try OutputWriter.write(plan.specs.map { OutputWriter.Output(path: path("\($0.name).yaml"), bytes: Array($0.text.utf8)) })
        } catch {
            DiagnosticPrinter.error(error.message, file: error.path)
            throw ExitCode.failure
        }
        var summary = ""
        for spec in plan.specs {
            let shape = spec.inputShape.map { "input (\($0.steps), \($0.channels))" } ?? "input not recorded (add 'input' to the spec)"
            summary += "wrote \(path(spec.name + ".yaml")): layer '\(spec.layer)', \(shape), \(spec.filters) filters, kernel \(spec.kernelSize)"
            if spec.name != spec.layer { summary += ", spec named '\(spec.name)'" }
            if !spec.fused.isEmpty { summary += fuse ? ", fuses \(spec.fused.joined(separator: ", "))" : ", --fuse would fold \(spec.fused.joined(separator: ", "))" }
            summary += "\n"
        }
        if plan.modelIsOutside {
            summary += "note: \(model) lies outside \(output): generate with --weights-root naming a folder that contains it\n"
        }
        print(summary, terminator: "")
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
            try OutputWriter.write([OutputWriter.Output(path: path, bytes: Array(imported.text.utf8))])
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
