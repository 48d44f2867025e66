// libFuzzer target: YAML text → SpecCompiler().compile(file:contents:)
// (parse, decode, weights, plan); then, for every spec that decodes, synthetic
// weights of the right shapes → Planner → Explainer, both emitters in both
// unrollings, and the interpreter, for layers small enough to do so quickly.
//
// Nothing is written to disk. The spec is placed in a folder that does not
// exist, so weight paths cannot reach real files. Thrown `DiagnosticError`s
// are expected; crashes, traps, sanitizer reports and hangs are findings.
import Foundation
import SepconvGen

/// Layers at most this big are also emitted and interpreted.
private let smallLayerParameters = 4_096
private let smallLayerMultiplyAdds = 1 << 16
private let specFile = "/nonexistent-sepconv-fuzz/spec.yaml"

@_cdecl("LLVMFuzzerTestOneInput")
public func sepconvFuzzSpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []

    // The whole front of the pipeline, as the CLI runs it.
    do {
        let compiled = try SpecCompiler().compile(file: specFile, contents: bytes)
        exercise(compiled.plan, spec: compiled.spec)
    } catch {
        let source = String(decoding: bytes, as: UTF8.self)
        for diagnostic in error.diagnostics { _ = diagnostic.rendered(source: source) }
        if !error.diagnostics.contains(where: { $0.severity == .error }) {
            fatalError("compile threw without an error diagnostic: \(error.diagnostics)")
        }
    }

    // Past the weights: any spec that decodes gets weights of the right shapes.
    guard let root = try? YAMLParser.parse(bytes, file: specFile),
          let (spec, _) = try? SpecDecoder.decode(root, file: specFile) else { return 0 }
    let shapes = LayerWeights.shapes(of: spec)
    let count = { (shape: [Int]) in shape.reduce(1, *) }
    guard count(shapes.depthwise) + count(shapes.pointwise) + count(shapes.bias) <= smallLayerParameters else { return 0 }
    let values = { (shape: [Int]) in Tensor(shape: shape, scalars: (0..<count(shape)).map { Double($0 % 5 - 2) * 0.25 }) }
    let weights = LayerWeights(depthwiseKernel: values(shapes.depthwise), pointwiseKernel: values(shapes.pointwise),
                               bias: spec.useBias ? values(shapes.bias) : nil)
    exercise(Planner.plan(spec, weights: weights), spec: spec)
    return 0
}

/// Explains `plan`; when small, emits it fully unrolled and with loops, and interprets one batch item.
private func exercise(_ plan: LayerPlan, spec: LayerSpec) {
    _ = Explainer.text(plan)
    _ = Explainer.json(plan)
    guard plan.parameterCount <= smallLayerParameters, plan.multiplyAdds <= smallLayerMultiplyAdds else { return }
    for unroll in [UnrollRequest.full, .loops] {
        let files = Generator.files(for: Planner.plan(spec, weights: plan.weights, unroll: unroll), languages: [.c, .swift])
        // An unfilled placeholder would mean the emitter printed broken code.
        for output in files where output.contents.range(of: "\\{\\{[A-Z_]+\\}\\}", options: .regularExpression) != nil {
            fatalError("unfilled template placeholder in \(output.name)")
        }
    }
    let perItem = plan.dataFormat == .channelsLast ? [plan.inputSteps, plan.inputChannels] : [plan.inputChannels, plan.inputSteps]
    let input = Tensor(shape: [1] + perItem, scalars: (0..<plan.inputSize).map { Double($0 % 7) - 3 })
    do {
        let output = try Interpreter.run(plan, input: input)
        let expected = plan.dataFormat == .channelsLast ? [1, plan.outputSteps, plan.outputChannels] : [1, plan.outputChannels, plan.outputSteps]
        if output.shape != expected { fatalError("interpreter output shape \(output.shape), the plan says \(expected)") }
    } catch {
        fatalError("the interpreter refused an input of the plan's own shape: \(error.message)")
    }
}
