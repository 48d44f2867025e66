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

    @Option(help: "The input, (batch, steps, channels) or (batch, channels, steps) as the layer's data_format says; <f4 or <f8 (|i1 for an int8 layer).")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write the output (.npy, <f4 for float32 specs, <f8 for float64, |i1 for int8).")
    var output: String

    @Option(help: "A folder that weight paths may reach besides the spec's own folder.")
    var weightsRoot: String?

    func run() throws {
        let network: NetworkCompiler.Compiled?
        let root: Node
        do {
            root = try SpecCompiler.parse(spec)
            network = try NetworkCompiler(weightsRoot: weightsRoot).compileIfNetwork(file: spec, root: root)
        } catch {
            DiagnosticPrinter.print(error.diagnostics)
            throw ExitCode.failure
        }
        if let network {
            DiagnosticPrinter.print(network.notes)
            try runNetwork(network.plan, dependencies: network.dependencies)
            return
        }
        let compiled: SpecCompiler.Compiled
        do {
            compiled = try SpecCompiler(weightsRoot: weightsRoot).compile(file: spec, root: root)
        } catch {
            DiagnosticPrinter.print(error.diagnostics)
            throw ExitCode.failure
        }
        DiagnosticPrinter.print(compiled.notes)
        let plan = compiled.plan
        let perItem = plan.dataFormat == .channelsLast ? [plan.inputSteps, plan.inputChannels] : [plan.inputChannels, plan.inputSteps]
        let layout = plan.dataFormat == .channelsLast ? "(batch, steps, channels)" : "(batch, channels, steps)"
        let result = try compute(perItem: perItem, taken: "the layer takes \(layout) = (batch, \(perItem[0]), \(perItem[1]))",
                                 format: plan.format) { tensor throws(Interpreter.ShapeError) in
            try Interpreter.run(plan, input: tensor)
        }
        try write(result, format: plan.format, inputs: compiled.dependencies)
    }

    /// `run` on a network spec: the input is (batch, ...the network's input shape).
    private func runNetwork(_ plan: NetworkPlan, dependencies: [String]) throws {
        let taken = "the network takes (batch, \(plan.inputShape.map(String.init).joined(separator: ", ")))"
        let result = try compute(perItem: plan.inputShape, taken: taken, format: plan.dtype.format) { tensor throws(Interpreter.ShapeError) in
            try NetworkInterpreter.run(plan, input: tensor)
        }
        try write(result, format: plan.dtype.format, inputs: dependencies)
    }

    /// Reads the input (each item of shape `perItem`, else an error ending in `taken`; int8 exactly
    /// when `format` is), checks it is finite, and runs `interpret` on it.
    private func compute(perItem: [Int], taken: String, format: NumericFormat,
                         _ interpret: (Tensor) throws(Interpreter.ShapeError) -> Tensor) throws -> Tensor {
        do {
            let (tensor, _) = try NPY.read(file: input, limit: Limits.maxInputBytes, noun: "inputs") { header throws(NPY.FormatError) in
                guard header.shape.count == perItem.count + 1, Array(header.shape.dropFirst()) == perItem else {
                    throw NPY.FormatError(message: "the input has shape \(Tensor.describe(header.shape)) but \(taken)")
                }
                // An int8 layer reads int8 and nothing else; a float layer reads either float type.
                guard (header.type == .int8) == format.isInteger else {
                    throw NPY.FormatError(message: format.isInteger ? "the int8 layer reads an int8 '|i1' .npy; this one is '\(header.type.rawValue)'"
                                                                        : "the float layer reads '<f4' or '<f8'; this one is int8 '|i1'")
                }
            }
            if let bad = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
                DiagnosticPrinter.error("the input holds a NaN or infinity at flat index \(bad)", file: input)
                throw ExitCode.failure
            }
            return try interpret(tensor)
        } catch let error as NPY.FormatError {
            DiagnosticPrinter.error(error.message == "no such file" ? "no such file: the input is missing" : error.message, file: input)
            throw ExitCode.failure
        } catch let error as Interpreter.ShapeError {
            DiagnosticPrinter.error(error.message, file: input)
            throw ExitCode.failure
        }
    }

    /// Writes the output in `format`'s `.npy` type, never over one of the run's `inputs` (the spec and the input besides).
    private func write(_ result: Tensor, format: NumericFormat, inputs: [String]) throws {
        let bytes = NPY.write(result, as: format.npy)
        Self.warnAboutOverflow(result, format: format, input: input)
        do {
            try OutputWriter.write([OutputWriter.Output(path: output, bytes: bytes)], inputs: [spec, input] + inputs)
        } catch {
            DiagnosticPrinter.error(error.message, file: error.path)
            throw ExitCode.failure
        }
    }

    /// Finite inputs can still overflow the layer's dtype: the output is
    /// written as computed (as the emitted code would compute it), with a warning.
    private static func warnAboutOverflow(_ result: Tensor, format: NumericFormat, input: String) {
        let stored = result.scalars.map(format.round)
        let nan = stored.count { $0.isNaN }
        let infinite = stored.count { $0.isInfinite }
        guard let first = stored.firstIndex(where: { !$0.isFinite }) else { return }
        let message = "the output holds \(nan) NaN and \(infinite) infinite values (the first at flat index \(first)): "
            + "the arithmetic overflowed \(format.name) on these finite inputs"
        DiagnosticPrinter.print([Diagnostic(.warning, message, file: input, at: .start)], showingSource: false)
    }
}
