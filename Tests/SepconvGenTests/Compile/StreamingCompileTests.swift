import Foundation
import Testing
@testable import SepconvGen
import KerasInitializers

/// The streaming API's emitted C (strict, and under AddressSanitizer and
/// UBSan) and Swift for every streamable Keras fixture and a few hundred
/// seeded random layers, streamed in random chunks against the interpreter
/// and the batch kernel. The spec key, refusals and delay are `StreamingTests`'.
@Suite struct StreamingCompileTests {
    /// Random configurations drawn, planned `loops`; those whose activation acts along the steps axis are left out.
    static let randomCount = 240
    /// More random configurations, planned `full` (straight-line window kernels). Few: the batch
    /// emitters' `full` code is the compile-and-compare suite's to cover; here it is the glue around it.
    static let fullCount = 24
    /// Every `optimizedFixtureEvery`-th Keras fixture's Swift is built with `-O`, the others and
    /// the random layers with `-Onone`: the glue's Swift is the same text at both levels, and
    /// `EmitterCompileTests` builds every fixture's kernel at `-O` (swiftc -O costs about three
    /// times as much per file).
    static let optimizedFixtureEvery = 4
    /// Random layers the Swift build runs too, `loops` and `full`, with `-Onone` (they check
    /// correctness; the Keras fixtures keep `-O`): swiftc spends about half a CPU-second per layer.
    static let swiftRandomCount = (loops: 96, full: 16)

    /// A streamable plan with a script: state 0 streams the layer's first
    /// input item while state 1 streams the second, interleaved, both
    /// flushed; state 0 then streams a signal of another length (strides 1 or
    /// 'valid') or the first item again, with no reset between (the flush
    /// left it reset); then part of a signal, a reset, and the first item once more.
    static func makeCase(_ plan: LayerPlan, origin: String, batch: Int, input: [Double], rng: inout SplitMix64) -> (StreamHarness.Case, [[Double]]) {
        var plan = plan
        plan.stream = StreamGeometry(plan)
        let (L, C) = (plan.inputSteps, plan.inputChannels)
        let items = (0..<batch).map { item in frames(Array(input[item * plan.inputSize ..< (item + 1) * plan.inputSize]), plan) }
        let anyLength = plan.stride == 1 || plan.padding == .valid
        let rf = plan.receptiveField
        let otherLength = [0, 1, max(1, rf - 1), rf, rf + 1, Int.random(in: 1...(2 * L + 2 * rf), using: &rng)].randomElement(using: &rng) ?? L
        let other = (0..<(otherLength * C)).map { _ in rng.value(in: -2...2, plan.dtype) }
        let signals = [items[0], items[min(1, batch - 1)], other]
        var script: [StreamHarness.Operation] = []
        /// Random chunks covering `frames` frames: empty pushes, single frames, large blocks.
        func chunks(_ frames: Int) -> [Int] {
            var result: [Int] = [], left = frames
            while left > 0 {
                let size = [0, 1, 1, 2, 3, Int.random(in: 1...max(1, frames), using: &rng), left].randomElement(using: &rng) ?? 1
                result.append(min(size, left))
                left -= min(size, left)
            }
            return Bool.random(using: &rng) ? [0] + result : result
        }
        func stream(_ state: Int, _ signal: Int, _ frames: Int) -> [StreamHarness.Operation] {
            var offset = 0
            return chunks(frames).map { count in
                defer { offset += count }
                return .push(state: state, signal: signal, offset: offset, count: count, viaArray: Bool.random(using: &rng))
            }
        }
        // 1. Two states interleaved.
        var first = stream(0, 0, L), second = stream(1, 1, L)
        while !first.isEmpty || !second.isEmpty {
            if !first.isEmpty && (second.isEmpty || Bool.random(using: &rng)) { script.append(first.removeFirst()) } else { script.append(second.removeFirst()) }
        }
        script += [.flush(state: 0, viaArray: Bool.random(using: &rng)), .flush(state: 1, viaArray: Bool.random(using: &rng))]
        // 2. Reuse after flush.
        script += stream(0, anyLength ? 2 : 0, anyLength ? otherLength : L) + [.flush(state: 0, viaArray: Bool.random(using: &rng))]
        // 3. A reset in the middle of a signal.
        script += stream(0, 1, L / 2) + [.reset(state: 0)] + stream(0, 0, L) + [.flush(state: 0, viaArray: Bool.random(using: &rng))]
        return (StreamHarness.Case(plan: plan, origin: origin, signals: signals, script: script, batch: batch, batchInput: input), signals)
    }

    /// One item in the layer's layout as frames (steps × channels).
    static func frames(_ item: [Double], _ plan: LayerPlan) -> [Double] {
        guard plan.dataFormat == .channelsFirst else { return item }
        let (L, C) = (plan.inputSteps, plan.inputChannels)
        return (0..<(L * C)).map { item[($0 % C) * L + $0 / C] }
    }

    /// The layer's output frames on `frames` (n steps), by the interpreter: the same layer on n steps, channels last.
    static func reference(_ plan: LayerPlan, _ frames: [Double]) throws -> [Double] {
        let n = frames.count / plan.inputChannels
        guard n > 0, plan.padding == .same || n >= plan.receptiveField else { return [] }
        let spec = LayerSpec(file: "", name: "ref", dtype: plan.dtype, inputSteps: n, inputChannels: plan.inputChannels, filters: plan.filters,
                             kernelSize: plan.kernelSize, strides: plan.stride, padding: plan.padding, dataFormat: .channelsLast,
                             dilationRate: plan.dilation, depthMultiplier: plan.depthMultiplier, activation: plan.activation,
                             useBias: plan.useBias, depthwiseInitializer: .zeros, pointwiseInitializer: .zeros, biasInitializer: .zeros,
                             seed: 0, weights: nil, marks: [:])
        return try Interpreter.run(Planner.plan(spec, weights: plan.weights), input: Tensor(shape: [1, n, plan.inputChannels], scalars: frames)).scalars
    }

    @Test func emittedStreamsMatchTheInterpreterAndTheBatchKernel() async throws {
        let started = Date()
        var rng = SplitMix64(seed: StreamingTests.seed)
        var cases: [StreamHarness.Case] = []
        var signalsByCase: [String: [[Double]]] = [:]
        var fixtureCount = 0
        for fixture in KerasFixtureTests.cases {
            let compiled = try SpecCompiler(unroll: .loops).compile(file: Fixtures.url("keras/\(fixture)/spec.yaml").path)
            guard StreamingTests.streamable(compiled.plan.activation, compiled.plan.dataFormat) else { continue }
            let input = try Fixtures.npy("keras/\(fixture)/input.npy").tensor
            var plan = compiled.plan
            plan.name = "s_" + String(fixture.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }).prefix(40)
            var (item, signals) = Self.makeCase(plan, origin: "keras fixture \(fixture)", batch: input.shape[0], input: input.scalars, rng: &rng)
            item.swift = fixtureCount % Self.optimizedFixtureEvery == 0 ? .optimized : .unoptimized
            cases.append(item)
            signalsByCase[item.name] = signals
            fixtureCount += 1
        }
        var randomCount = 0
        let drawn = RandomLayers.make(count: Self.randomCount, seed: StreamingTests.seed).map { ($0, UnrollRequest.loops, "s") }
            + RandomLayers.make(count: Self.fullCount, seed: StreamingTests.seed ^ 2).prefix(Self.fullCount).map { ($0, UnrollRequest.full, "f") }
        var swiftRandom = (loops: 0, full: 0)
        for (layer, unroll, prefix) in drawn where StreamingTests.streamable(layer.spec.activation, layer.spec.dataFormat) {
            var spec = layer.spec
            spec.name = prefix + spec.name
            spec.streaming = true
            let plan = Planner.plan(spec, weights: layer.weights, unroll: unroll)
            let (made, signals) = Self.makeCase(plan, origin: "random \(layer.summary)", batch: layer.batch, input: layer.input.scalars, rng: &rng)
            var item = made
            let inSwift = unroll == .full ? swiftRandom.full < Self.swiftRandomCount.full : swiftRandom.loops < Self.swiftRandomCount.loops
            item.swift = inSwift ? .unoptimized : .none
            if inSwift && unroll == .full { swiftRandom.full += 1 } else if inSwift { swiftRandom.loops += 1 }
            cases.append(item)
            signalsByCase[item.name] = signals
            randomCount += 1
        }
        #expect(fixtureCount >= 80, "streamable Keras fixtures: \(fixtureCount)")
        #expect(randomCount >= 200, "streamable random layers: \(randomCount)")
        #expect(swiftRandom == Self.swiftRandomCount, "random layers in Swift: \(swiftRandom)")
        #expect(cases.contains { $0.plan.unroll.c == .full && $0.plan.unroll.swift == .full }, "no straight-line window kernels")

        let all = cases
        let report = await EmitterCompileTests.inBackground { StreamHarness.run(all) }
        var failures: [String] = []
        var compared = 0
        var expectedRuns = 0
        for build in StreamHarness.Build.allCases {
            for item in cases where build != .swift || item.swift != .none {
                expectedRuns += 1
                guard let result = report.runs[build]?[item.name] else {
                    failures.append("\(build.rawValue) \(item.name): no result")
                    continue
                }
                switch result {
                case .failure(let failure):
                    failures.append("\(build.rawValue) \(item.name) [\(item.origin)]: \(failure.message)")
                case .success(let run):
                    let problems = try Self.judge(item, run, signals: signalsByCase[item.name] ?? [])
                    failures += problems.prefix(3).map { "\(build.rawValue) \(item.name) [\(item.origin)]: \($0)" }
                    if problems.isEmpty { compared += 1 }
                }
            }
        }
        for failure in failures.prefix(20) { Issue.record(Comment(rawValue: failure)) }
        #expect(failures.isEmpty, "\(failures.count) failures")
        #expect(compared == expectedRuns)
        let timings = report.timings.map { String(format: "%@ %.1fs", $0.0, $0.1) }.joined(separator: "; ")
        print("streaming: \(compared) layer-builds match (\(fixtureCount) Keras fixtures + \(randomCount) random layers in C and C under ASan+UBSan, "
              + "the fixtures (every \(Self.optimizedFixtureEvery)th with -O) and \(Self.swiftRandomCount.loops + Self.swiftRandomCount.full) random layers in Swift); "
              + "\(timings); total \(String(format: "%.1f", Date().timeIntervalSince(started)))s")
    }

    /// Every check of one case's run; the problems found.
    static func judge(_ item: StreamHarness.Case, _ run: StreamHarness.Run, signals: [[Double]]) throws -> [String] {
        let plan = item.plan
        guard let geometry = plan.stream else { return ["no stream geometry"] }
        let OC = geometry.outputChannels, C = plan.inputChannels
        var problems: [String] = []
        if run.delay != StreamingTests.delay(plan) { problems.append("the code declares delay \(run.delay), the rule gives \(StreamingTests.delay(plan))") }
        // The batch kernel against the interpreter.
        let batchReference = try Interpreter.run(plan, input: Tensor(shape: [item.batch] + (plan.dataFormat == .channelsLast ? [plan.inputSteps, C] : [C, plan.inputSteps]),
                                                                       scalars: item.batchInput)).scalars
        if let error = maxError(run.batchOutput, batchReference), error > CompileHarness.tolerance(plan.dtype, reference: batchReference) {
            problems.append("batch kernel: max |out - interpreter| = \(error)")
        }
        let firstBatchFrames = outputFrames(Array(batchReference.prefix(plan.outputSize)), plan)
        // Replay the script: frames pushed per state, outputs gathered per signal run.
        var pushed = [0, 0], signalOf = [0, 0], gathered: [[Double]] = [[], []]
        for (index, operation) in item.script.enumerated() {
            let count = run.counts[index], buffer = run.outputs[index]
            let expected: Int, state: Int
            switch operation {
            case .push(let s, let signal, _, let frames, _):
                state = s
                signalOf[s] = signal
                expected = StreamingTests.completed(plan, frames: pushed[s] + frames) - StreamingTests.completed(plan, frames: pushed[s])
                pushed[s] += frames
                if count > (frames + plan.stride - 1) / plan.stride { problems.append("operation \(index): push of \(frames) returned \(count), past the bound") }
            case .flush(let s, _):
                state = s
                let n = pushed[s]
                expected = plan.padding == .same ? (n + plan.stride - 1) / plan.stride - StreamingTests.completed(plan, frames: n) : 0
            case .reset(let s):
                state = s
                expected = 0
            }
            if count != expected { problems.append("operation \(index) \(operation): returned \(count), expected \(expected)") }
            let written = min(count, buffer.count / max(OC, 1))
            if buffer[(written * OC)...].contains(where: { !$0.isNaN }) { problems.append("operation \(index): wrote past the \(count) frames it returned") }
            gathered[state] += buffer.prefix(written * OC)
            // A signal ends at a flush (or is dropped by a reset): compare what it gave.
            if case .flush = operation {
                let signal = signals[signalOf[state]]
                let frames = signal.count / C == pushed[state] ? signal : Array(signal.prefix(pushed[state] * C))
                let reference = try reference(plan, frames)
                if gathered[state].count != reference.count {
                    problems.append("operation \(index): the signal of \(pushed[state]) frames gave \(gathered[state].count / max(OC, 1)) output frames, the layer \(reference.count / max(OC, 1))")
                } else if let error = maxError(gathered[state], reference), error > CompileHarness.tolerance(plan.dtype, reference: reference) {
                    problems.append("operation \(index): max |stream - interpreter| = \(error)")
                }
                // The layer's own input: the stream gives the batch kernel's output.
                if signalOf[state] == 0 && pushed[state] == plan.inputSteps, let error = maxError(gathered[state], outputFrames(Array(run.batchOutput.prefix(plan.outputSize)), plan)),
                   error > CompileHarness.tolerance(plan.dtype, reference: firstBatchFrames) {
                    problems.append("operation \(index): max |stream - batch kernel| = \(error)")
                }
            }
            if case .flush = operation { (pushed[state], gathered[state]) = (0, []) }
            if case .reset = operation { (pushed[state], gathered[state]) = (0, []) }
        }
        return problems
    }

    /// One output item in the layer's layout as output frames (steps × channels).
    static func outputFrames(_ item: [Double], _ plan: LayerPlan) -> [Double] {
        guard plan.dataFormat == .channelsFirst else { return item }
        let (T, F) = (plan.outputSteps, plan.outputChannels)
        return (0..<(T * F)).map { item[($0 % F) * T + $0 / F] }
    }

    static func maxError(_ a: [Double], _ b: [Double]) -> Double? {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { $0.isNaN || $1.isNaN ? .infinity : abs($0 - $1) }.max() ?? 0
    }
}
