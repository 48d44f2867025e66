import Foundation
import Testing
@testable import SepconvGen

/// The streaming API (`streaming: true`, SPEC section 6): the spec key and
/// its refusals, the delay against the interpreter, `explain`, and the
/// emitted C (strict, and under AddressSanitizer and UBSan) and Swift of
/// every streamable Keras fixture and a few hundred seeded random layers,
/// streamed in random chunks against the interpreter and the batch kernel.
@Suite struct StreamingTests {
    static let seed: UInt64 = 0x57EA_0000_2026_0011
    /// Random configurations drawn, planned `loops`; those whose activation acts along the steps axis are left out.
    static let randomCount = 240
    /// More random configurations, planned `full` (straight-line window kernels). Few: the batch
    /// emitters' `full` code is the compile-and-compare suite's to cover; here it is the glue around it.
    static let fullCount = 24
    /// Random layers the Swift build runs too, `loops` and `full`, with `-Onone` (they check
    /// correctness; the Keras fixtures keep `-O`): swiftc spends about half a CPU-second per layer.
    static let swiftRandomCount = (loops: 96, full: 16)

    /// Whether a layer can stream: its activation does not act along the steps axis.
    static func streamable(_ activation: Activation, _ dataFormat: DataFormat) -> Bool {
        !(activation.isRowWise && dataFormat == .channelsFirst)
    }

    /// The delay by SPEC's rule, worked out here from the layer's arguments:
    /// the last tap of output frame t is padded frame t·s + (K − 1)·d, real frame that minus the left pad.
    static func delay(_ plan: LayerPlan) -> Int {
        (plan.kernelSize - 1) * plan.dilation - (plan.padding == .same ? plan.padLeft : 0)
    }

    static func completed(_ plan: LayerPlan, frames: Int) -> Int {
        frames > delay(plan) ? (frames - 1 - delay(plan)) / plan.stride + 1 : 0
    }

    // MARK: Spec and explain

    func decode(_ yaml: String) -> Result<LayerSpec, DiagnosticError> {
        Result { () throws(DiagnosticError) in
            try SpecDecoder.decode(try YAMLParser.parse(Array(yaml.utf8), file: "s.yaml"), file: "s.yaml").spec
        }
    }

    static func yaml(activation: String, dataFormat: String, streaming: String) -> String {
        """
        name: s
        input: {steps: 8, channels: 2}
        layer: {filters: 4, kernel_size: 3, padding: same, data_format: \(dataFormat), activation: \(activation)}
        streaming: \(streaming)

        """
    }

    @Test func streamingKeyIsReadAndDefaultsToFalse() throws {
        #expect(try decode(Self.yaml(activation: "relu", dataFormat: "channels_first", streaming: "true")).get().streaming)
        #expect(try decode(Self.yaml(activation: "softmax", dataFormat: "channels_last", streaming: "true")).get().streaming)
        #expect(try decode(Self.yaml(activation: "softmax", dataFormat: "channels_first", streaming: "false")).get().streaming == false)
        let absent = "name: s\ninput: {steps: 8, channels: 2}\nlayer: {filters: 4, kernel_size: 3}\n"
        #expect(try decode(absent).get().streaming == false)
    }

    @Test(arguments: ["softmax", "log_softmax", "sparsemax", "glu"])
    func activationAlongStepsCannotStream(_ activation: String) {
        guard case .failure(let error) = decode(Self.yaml(activation: activation, dataFormat: "channels_first", streaming: "true")) else {
            Issue.record("\(activation) with channels_first was accepted for streaming")
            return
        }
        let headline = error.diagnostics.first { $0.severity == .error }?.headline ?? ""
        // The error points at the value of `streaming` (line 4, column 12).
        #expect(headline.hasPrefix("s.yaml:4:12: error: streaming: true cannot be used with activation '\(activation)'"), "\(headline)")
    }

    @Test func streamingMustBeABoolean() {
        guard case .failure(let error) = decode(Self.yaml(activation: "relu", dataFormat: "channels_last", streaming: "3")) else {
            Issue.record("streaming: 3 was accepted")
            return
        }
        #expect(error.diagnostics.contains { $0.headline.hasPrefix("s.yaml:4:12: error: 'streaming' must be true or false") })
    }

    @Test(arguments: [Activation.softmax, .logSoftmax, .sparsemax, .glu])
    func epilogueActivationAlongStepsCannotStream(_ activation: Activation) throws {
        let spec = try decode(Self.yaml(activation: "relu", dataFormat: "channels_first", streaming: "true")).get()
        let weights = try WeightLoader().load(spec).weights
        let refusal = Planner.refusal(of: .loops, for: Planner.plan(spec, weights: weights, epilogue: [.activation(activation)]))
        #expect(refusal?.hasPrefix("streaming: true cannot be used with a following activation '\(activation.rawValue)'") == true, "\(refusal ?? "accepted")")
        // Elementwise, or along the filters (channels_last), it streams.
        #expect(Planner.refusal(of: .loops, for: Planner.plan(spec, weights: weights, epilogue: [.activation(.relu)])) == nil)
        let last = try decode(Self.yaml(activation: "relu", dataFormat: "channels_last", streaming: "true")).get()
        #expect(Planner.refusal(of: .loops, for: Planner.plan(last, weights: weights, epilogue: [.activation(activation)])) == nil)
    }

    @Test func explainShowsDelayStateAndCost() throws {
        let spec = try decode(Self.yaml(activation: "relu", dataFormat: "channels_last", streaming: "true")).get()
        let weights = try WeightLoader().load(spec).weights
        let plan = Planner.plan(spec, weights: weights)
        // K 3, d 1, 'same' on 8 steps: 1 left; a ring of 2 · 3 − 1 frames × 2 channels × 4 bytes + the start and the count, LP64: 40 + 16.
        let text = Explainer.text(plan)
        #expect(text.contains("streaming        delay 1 frames"), "\(text)")
        #expect(text.contains("state 56 bytes (a ring of 5 frames x 2 channels x 4 bytes for a window of 3, + its start and a count, LP64), 14 multiply-adds per output frame"), "\(text)")
        let json = Explainer.json(plan)
        #expect(json.contains("\"delay\" : 1") && json.contains("\"stateBytes\" : 56") && json.contains("\"multiplyAddsPerFrame\" : 14"), "\(json)")
        var plain = spec
        plain.streaming = false
        #expect(!Explainer.text(Planner.plan(plain, weights: weights)).contains("streaming"))
        #expect(!Explainer.json(Planner.plan(plain, weights: weights)).contains("streaming"))
    }

    @Test func withoutStreamingNothingIsEmitted() throws {
        let spec = try decode(Self.yaml(activation: "relu", dataFormat: "channels_last", streaming: "false")).get()
        let plan = Planner.plan(spec, weights: try WeightLoader().load(spec).weights)
        let files = Generator.files(for: plan, languages: [.c, .swift]).map(\.contents).joined()
        #expect(!files.contains("stream") && !files.contains("Stream"))
    }

    /// The window kernels read the batch kernel's weight tables where both
    /// are `loops` (the tables are printed once): the tables they would have
    /// printed are the batch kernel's, for random layers of every shape.
    @Test func windowKernelsBorrowTheBatchTables() {
        var borrowed = 0
        for layer in RandomLayers.make(count: 60, seed: Self.seed ^ 7) where Self.streamable(layer.spec.activation, layer.spec.dataFormat) {
            var spec = layer.spec
            spec.streaming = true
            let plan = Planner.plan(spec, weights: layer.weights, unroll: .loops)
            guard let geometry = plan.stream else { continue }
            let windows = StreamEmitter.windowPlans(plan, geometry)
            for window in [windows.frame] + [windows.tile].compactMap({ $0 }) {
                for language in TargetLanguage.allCases {
                    if window.unroll[language] == .loops {
                        #expect(window.borrowedTables[language] == plan.name, "\(spec.name) \(language)")
                        #expect(KernelLayout(plan: window).weightTables(language) == KernelLayout(plan: plan).weightTables(language), "\(spec.name) \(language)")
                        borrowed += 1
                    } else {
                        #expect(window.borrowedTables[language] == nil)
                    }
                }
            }
            // C: each table defined once, by the batch kernel.
            let source = Generator.files(for: plan, languages: [.c]).map(\.contents).joined()
            #expect(source.components(separatedBy: "static const \(plan.dtype == .float32 ? "float" : "double") \(plan.name)_pointwise[").count == 2, "\(spec.name)")
            #expect(!source.contains("_stream_frame_pointwise["), "\(spec.name)")
        }
        #expect(borrowed > 100)
    }

    /// The delay rule against the interpreter: for random linear layers, the
    /// last input frame that changes output frame t is t·s + delay whenever
    /// that frame exists, and the last frame otherwise (the flush's outputs).
    @Test func delayIsTheLastFrameEachOutputReads() throws {
        var rng = SplitMix64(seed: Self.seed ^ 1)
        var checked = 0
        for index in 0..<60 {
            var spec: LayerSpec
            repeat {
                spec = RandomLayers.draw(&rng, name: "d\(index)", activation: .linear)
                spec.dataFormat = .channelsLast
            } while !RandomLayers.isAccepted(spec)
            let layer = RandomLayers.complete(spec, batch: 1, rng: &rng)
            let plan = Planner.plan(spec, weights: layer.weights)
            let base = try Interpreter.run(plan, input: layer.input).scalars
            let (L, C, F) = (plan.inputSteps, plan.inputChannels, plan.outputChannels)
            var last = [Int](repeating: -1, count: plan.outputSteps)
            for frame in 0..<L {
                var input = layer.input
                for c in 0..<C { input.scalars[frame * C + c] += 1 }
                let changed = try Interpreter.run(plan, input: input).scalars
                for t in 0..<plan.outputSteps where (0..<F).contains(where: { abs(changed[t * F + $0] - base[t * F + $0]) > 1e-9 }) {
                    last[t] = frame
                }
            }
            for t in 0..<plan.outputSteps where last[t] >= 0 {
                let due = t * plan.stride + Self.delay(plan)
                #expect(due < L ? last[t] == due : last[t] <= L - 1, "\(layer.summary): output \(t) last reads frame \(last[t]), delay rule says \(due)")
                checked += 1
            }
        }
        #expect(checked > 300)
    }

    // MARK: Compile, stream, compare

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
        var rng = SplitMix64(seed: Self.seed)
        var cases: [StreamHarness.Case] = []
        var signalsByCase: [String: [[Double]]] = [:]
        var fixtureCount = 0
        for fixture in KerasFixtureTests.cases {
            let compiled = try SpecCompiler(unroll: .loops).compile(file: Fixtures.url("keras/\(fixture)/spec.yaml").path)
            guard Self.streamable(compiled.plan.activation, compiled.plan.dataFormat) else { continue }
            let input = try Fixtures.npy("keras/\(fixture)/input.npy").tensor
            var plan = compiled.plan
            plan.name = "s_" + String(fixture.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }).prefix(40)
            let (item, signals) = Self.makeCase(plan, origin: "keras fixture \(fixture)", batch: input.shape[0], input: input.scalars, rng: &rng)
            cases.append(item)
            signalsByCase[item.name] = signals
            fixtureCount += 1
        }
        var randomCount = 0
        let drawn = RandomLayers.make(count: Self.randomCount, seed: Self.seed).map { ($0, UnrollRequest.loops, "s") }
            + RandomLayers.make(count: Self.fullCount, seed: Self.seed ^ 2).prefix(Self.fullCount).map { ($0, UnrollRequest.full, "f") }
        var swiftRandom = (loops: 0, full: 0)
        for (layer, unroll, prefix) in drawn where Self.streamable(layer.spec.activation, layer.spec.dataFormat) {
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
              + "the fixtures and \(Self.swiftRandomCount.loops + Self.swiftRandomCount.full) random layers in Swift); "
              + "\(timings); total \(String(format: "%.1f", Date().timeIntervalSince(started)))s")
    }

    /// Every check of one case's run; the problems found.
    static func judge(_ item: StreamHarness.Case, _ run: StreamHarness.Run, signals: [[Double]]) throws -> [String] {
        let plan = item.plan
        guard let geometry = plan.stream else { return ["no stream geometry"] }
        let OC = geometry.outputChannels, C = plan.inputChannels
        var problems: [String] = []
        if run.delay != delay(plan) { problems.append("the code declares delay \(run.delay), the rule gives \(delay(plan))") }
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
                expected = completed(plan, frames: pushed[s] + frames) - completed(plan, frames: pushed[s])
                pushed[s] += frames
                if count > (frames + plan.stride - 1) / plan.stride { problems.append("operation \(index): push of \(frames) returned \(count), past the bound") }
            case .flush(let s, _):
                state = s
                let n = pushed[s]
                expected = plan.padding == .same ? (n + plan.stride - 1) / plan.stride - completed(plan, frames: n) : 0
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
