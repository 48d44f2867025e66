import ArgumentParser
import Foundation
import SepconvGen

/// `sepconv-gen run SPEC --input X.npy --output Y.npy`: the generic interpreter.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the layer with the reference interpreter on a .npy input."
    )

    @Argument(help: "The spec file.")
    var spec: String

    @Option(help: "The input, (batch, steps, channels) or (batch, channels, steps) as the layer's data_format says; <f4 or <f8.")
    var input: String

    @Option(help: "Where to write the output (.npy, <f4 for float32 specs, <f8 for float64).")
    var output: String

    @Option(help: "A folder that weight paths may reach besides the spec's own folder.")
    var weightsRoot: String?

    func run() throws {
        let compiled: SpecCompiler.Compiled
        do {
            compiled = try SpecCompiler(weightsRoot: weightsRoot).compile(file: spec)
        } catch {
            DiagnosticPrinter.print(error.diagnostics)
            throw ExitCode.failure
        }
        DiagnosticPrinter.print(compiled.notes)
        guard let data = FileManager.default.contents(atPath: input) else {
            DiagnosticPrinter.error("cannot read the input file", file: input)
            throw ExitCode.failure
        }
        let result: Tensor
        do {
            let (tensor, _) = try NPY.read([UInt8](data))
            if let bad = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
                DiagnosticPrinter.error("the input holds a NaN or infinity at flat index \(bad)", file: input)
                throw ExitCode.failure
            }
            result = try Interpreter.run(compiled.plan, input: tensor)
        } catch let error as NPY.FormatError {
            DiagnosticPrinter.error(error.message, file: input)
            throw ExitCode.failure
        } catch let error as Interpreter.ShapeError {
            DiagnosticPrinter.error(error.message, file: input)
            throw ExitCode.failure
        }
        let type: NPY.ElementType = compiled.plan.dtype == .float32 ? .float32 : .float64
        do {
            try OutputWriter.writeAtomically(bytes: NPY.write(result, as: type), to: output)
        } catch {
            DiagnosticPrinter.error(error.message, file: error.path)
            throw ExitCode.failure
        }
    }
}
