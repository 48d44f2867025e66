import Foundation

/// `sepconv-gen explain`: the plan in words, with a picture of the taps, or as JSON.
public enum Explainer {
    /// Rows and columns beyond which the tap picture is elided.
    static let maxPictureRows = 48
    static let maxPictureColumns = 120

    /// The plan as a report for people.
    public static func text(_ plan: LayerPlan) -> String {
        let summary = Summary(plan)
        var lines: [String] = []
        lines.append("\(plan.name): SeparableConv1D, \(plan.format.name), \(plan.dataFormat.rawValue)")
        if let variant = variantLine(plan.convolution) { lines.append(variant) }
        lines.append("  input            \(Tensor.describe(summary.inputShape)) \(plan.dataFormat == .channelsLast ? "(steps, channels)" : "(channels, steps)")")
        lines.append("  depthwise        kernel \(plan.kernelSize), stride \(plan.stride), dilation \(plan.dilation), depth_multiplier \(plan.depthMultiplier): \(plan.inputChannels) -> \(plan.depthwiseChannels) channels")
        lines.append("  padding          \(plan.padding.rawValue): \(plan.padLeft) left, \(plan.padRight) right")
        lines.append("  receptive field  \(plan.receptiveField) input steps")
        lines.append("  pointwise        \(plan.depthwiseChannels) -> \(plan.filters) filters, \(plan.useBias ? "bias" : "no bias"), activation \(plan.activation.rawValue)")
        lines.append("  output           \(Tensor.describe(summary.outputShape)) \(plan.dataFormat == .channelsLast ? "(steps, filters)" : "(filters, steps)")")
        let parameters = plan.geometry.parameters
        lines.append("  parameters       \(plan.parameterCount) (depthwise \(parameters.depthwise), pointwise \(parameters.pointwise), bias \(parameters.bias))")
        lines.append("  multiply-adds    \(plan.multiplyAdds) per batch item (depthwise \(plan.depthwiseMultiplyAdds), pointwise \(plan.pointwiseMultiplyAdds))")
        for language in TargetLanguage.allCases {
            lines.append("  unroll \(language.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))    \(summary.unrollReason(language))")
        }
        let footprint = plan.footprint
        lines.append("  footprint        weights \(footprint.weightBytes) bytes, C kernel stack buffers \(footprint.stackBytes) bytes"
            + (footprint.streamStateBytes.map { ", streaming state \($0) bytes" } ?? "")
            + (footprint.streamStageBytes.map { ", a push's stack buffer \($0) bytes" } ?? "") + ", no heap")
        lines.append("  source size      about " + TargetLanguage.allCases.map { "\(SourceEstimate.describe(SourceEstimate.bytes(plan, $0))) of \($0.rawValue)" }.joined(separator: ", ") + " (estimated)")
        if let provenance = plan.provenance { lines.append("  weights          \(provenance)") }
        if let quantized = summary.quantization { lines += quantized.lines }
        lines += StreamExplain.lines(plan)
        lines.append("  step runs        \(plan.runs.count)")
        for run in plan.runs {
            let kind = run.isInterior ? "interior, all \(plan.kernelSize) taps" : run.tapCount == 0 ? "no tap reads the input" : "border, taps \(run.firstTap)..<\(run.firstTap + run.tapCount)"
            lines.append("    steps \(run.steps.lowerBound)..<\(run.steps.upperBound): \(kind)")
        }
        // The int8 kernel has no vector schedule: one step at a time, a loop per run.
        if plan.quantized == nil { lines += schedule(plan.schedule) }
        lines.append("")
        lines += picture(plan)
        return lines.joined(separator: "\n") + "\n"
    }

    /// What a `ConvolutionVariant` computes of the two stages (nil for SeparableConv1D's both).
    static func variantLine(_ variant: ConvolutionVariant) -> String? {
        switch variant {
        case .separable: nil
        case .denseTaps: "  convolution      dense-tap (Conv1D): the depthwise stage gathers each channel's taps (copies, no multiply-adds), "
            + "the pointwise stage holds the kernel"
        case .depthwiseOnly: "  convolution      depthwise-only (DepthwiseConv1D): no pointwise stage, the depthwise values go through the bias "
            + "and activation to the output"
        }
    }

    /// The `loops` kernels' schedule, as the emitters print it.
    static func schedule(_ s: KernelSchedule) -> [String] {
        let blocks = s.filterBlocks.map { "\($0.count * s.lanes)" + ($0.partialLanes > 0 ? " (last vector \($0.partialLanes) lanes)" : "") }
        let wide = [s.hasWidePairs ? "pointwise pairs of blocks" : nil, s.hasWideDepthwise ? "depthwise channels" : nil].compactMap { $0 }
        let narrow = s.depthwiseGroups(wide: false).map { "\($0.count) x \($0.lanes) channels from \($0.first)" }
        let scalar = s.scalarChannels.isEmpty ? [] : ["channels \(s.scalarChannels.lowerBound)..<\(s.scalarChannels.upperBound) one at a time"]
        let taps: String = s.unrollsTaps ? "taps unrolled" : "taps in a loop (K > \(KernelSchedule.maxUnrolledTaps))"
        let outputTile: String = s.needsOutputTile ? " (output tile)" : ""
        let prefetch: String = s.prefetchesWeights ? "\(KernelSchedule.prefetchRows) rows ahead" : "none"
        var lines: [String] = []
        lines.append("  schedule (loops) tiles of \(s.tile) steps, \(s.lanes)-lane vectors of \(KernelSchedule.vectorBytes) bytes, stack \(s.stackBytes) bytes\(outputTile)")
        lines.append("    filter blocks  \(blocks.joined(separator: ", ")) filters (\(s.plainBlockCount) plain, \(s.blockVectors) accumulator vectors a step)")
        lines.append("    depthwise      " + (narrow + scalar + [taps]).joined(separator: ", "))
        lines.append("    512-bit paths  " + (wide.isEmpty ? "none" : wide.joined(separator: ", ")))
        lines.append("    prefetch       \(prefetch) (\(s.pointwiseBytes) bytes of pointwise weights)")
        let sums = s.partialSums.map { "\($0.rows) step\($0.rows == 1 ? "" : "s") x \($0.vectors) vector\($0.vectors == 1 ? "" : "s"): \($0.parts)" }
        lines.append("    partial sums   " + (sums.isEmpty ? "none" : sums.joined(separator: ", ") + " (short tiles, fewer than \(KernelSchedule.minimumChains) accumulators)"))
        lines.append("    C vector path  #if \(s.vectorGuard.cCondition)")
        let registerTiles = s.scalarPointwise.map { tile in
            "\(tile.rows) step\(tile.rows == 1 ? "" : "s"): " + tile.registerTiles.map { "\($0.steps) x \($0.filters)" }.joined(separator: " + ")
                + (tile.channelsPerLoad > 1 ? " (each step's values of \(tile.channelsPerLoad) channels in one load)" : "")
        }
        lines.append("    scalar path    (#else) pointwise register tiles of steps x filters, " + registerTiles.joined(separator: "; ")
                     + (s.loadsWeightsTogether ? ", a channel's weights of a tile in one multiple load (vldm) on an M-profile FPU" : "")
                     + (s.fusesActivation ? ", relu applied as it stores" : "")
                     + (s.leadingPartialSteps > 0 ? ", the first tile's \(s.leadingPartialSteps) partial step\(s.leadingPartialSteps == 1 ? "" : "s") one by one and the \(s.tile) after with depthwise_\(s.tile)" : "")
                     + "; depthwise " + (s.unrollsTaps ? "a channel's taps and inputs in registers, sliding along the steps" : "taps in a loop"))
        lines.append("    routines       " + s.routines.map(\.name).joined(separator: ", "))
        for tile in s.tiles {
            switch tile {
            case .interior(let start, let count):
                lines.append("    steps \(start)..<\(start + count * s.tile): \(count) interior tile\(count == 1 ? "" : "s")")
            case .border(let start, let steps):
                let taps = s.readsAllTaps(steps) ? "every tap" : steps.map { "\($0.first)+\($0.count)" }.joined(separator: " ")
                lines.append("    steps \(start)..<\(start + steps.count): border tile, taps \(taps)")
            }
        }
        return lines
    }

    /// Which input steps (and padding) feed each output step: `#` a tap on
    /// the input, `o` a tap on padding, `.` an input step not read, ` ` padding not read.
    static func picture(_ plan: LayerPlan) -> [String] {
        let columns = plan.padLeft + plan.inputSteps + plan.padRight
        guard columns <= maxPictureColumns else {
            return ["(no picture: \(columns) padded input steps is more than \(maxPictureColumns) columns)"]
        }
        var lines = ["taps: '#' reads an input step, 'o' falls in the padding; '|' marks the input's edges"]
        let width = String(plan.convolutionSteps - 1).count
        var rows = Array(0..<plan.convolutionSteps)
        // "..." stands for two rows or more: a single row is shown rather than elided.
        if rows.count > maxPictureRows + 1 {
            rows = Array(rows.prefix(maxPictureRows / 2)) + [-1] + Array(rows.suffix(maxPictureRows / 2))
        }
        for step in rows {
            guard step >= 0 else {
                lines.append(String(repeating: " ", count: width + 5) + "...")
                continue
            }
            var cells = [Character](repeating: ".", count: columns)
            for column in 0..<columns where column < plan.padLeft || column >= plan.padLeft + plan.inputSteps {
                cells[column] = " "
            }
            for tap in 0..<plan.kernelSize {
                let column = plan.inputStep(forOutput: step, tap: tap) + plan.padLeft
                guard column >= 0, column < columns else { continue }
                cells[column] = cells[column] == " " ? "o" : "#"
            }
            let left = String(cells[..<plan.padLeft]), middle = String(cells[plan.padLeft ..< plan.padLeft + plan.inputSteps])
            let right = String(cells[(plan.padLeft + plan.inputSteps)...])
            let label = String(repeating: " ", count: width - String(step).count) + String(step)
            let row = "  \(label)  \(left)|\(middle)|\(right)"
            lines.append(String(row.reversed().drop(while: { $0 == " " }).reversed()))
        }
        return lines
    }

    /// The plan as JSON with sorted keys (stable for tools and diffs).
    public static func json(_ plan: LayerPlan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(Summary(plan)) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The plan's facts, as `explain --json` prints them.
    struct Summary: Encodable {
        struct Run: Encodable {
            var firstStep: Int, endStep: Int, firstTap: Int, tapCount: Int, interior: Bool
        }
        struct Unroll: Encodable {
            var strategy: String, budget: Int
        }
        var name: String, dtype: String, dataFormat: String, activation: String
        var inputSteps: Int, inputChannels: Int, filters: Int, kernelSize: Int, strides: Int, dilationRate: Int
        var depthMultiplier: Int, depthwiseChannels: Int, padding: String, padLeft: Int, padRight: Int
        var convolutionSteps: Int, outputSteps: Int, outputChannels: Int, receptiveField: Int
        var inputShape: [Int], outputShape: [Int], useBias: Bool
        var parameters: Int, multiplyAdds: Int, depthwiseMultiplyAdds: Int, pointwiseMultiplyAdds: Int
        var unroll: [String: Unroll]
        var runs: [Run]
        /// The float `loops` kernels' schedule; nil for an int8 layer, whose kernel has none.
        var schedule: Schedule?
        var epilogue: [String]
        var estimatedSourceBytes: [String: Int]
        var footprint: Footprint
        var weightsProvenance: String?
        /// The `ConvolutionVariant`, where it is not `separable`.
        var convolution: ConvolutionVariant?
        var streaming: StreamExplain.Summary?
        var quantization: Quantization?

        /// An int8 layer's arithmetic (`QuantizedPlan`), for `explain`.
        struct Quantization: Encodable {
            struct Tensor: Encodable { var scale: Float, zeroPoint: Int }
            struct Stage: Encodable {
                var activation: String, clampMin: Int, clampMax: Int
                var multiplierMin: Int32, multiplierMax: Int32, shiftMin: Int, shiftMax: Int
                var multipliers: [Int32], shifts: [Int]
            }
            var input: Tensor, intermediate: Tensor, output: Tensor
            var depthwise: Stage, pointwise: Stage
            var leadingPad: Int, int8WeightBytes: Int, int32TableBytes: Int, accumulatorBound: Int
            /// The `loops` kernel's weight and bias tables (`QuantizedPlan.weightTableBytes`): plain C and Swift, C on DSP cores.
            var weightTableBytes: Int, dspWeightTableBytes: Int
            /// The `loops` schedule: filters per pointwise block, requantization form, the DSP path's channel group and saturation.
            var pointwiseTile: Int, requantization: String, dualGroup: Int, dualPointwiseTile: Int, widensOnce: Bool, saturation: String
            /// C's vector paths (`QuantizedPlan.vectorTargets`, each target's preprocessor condition) and what each stage does on them.
            var vectorTargets: [String], vectorTile: Int, vectorDepthwise: String, vectorRequantization: String

            init(_ q: QuantizedPlan) {
                let layer = q.layer
                input = Tensor(scale: layer.input.scale, zeroPoint: layer.input.zeroPoint)
                intermediate = Tensor(scale: layer.intermediate.scale, zeroPoint: layer.intermediate.zeroPoint)
                output = Tensor(scale: layer.output.scale, zeroPoint: layer.output.zeroPoint)
                func stage(_ r: QuantizedPlan.Requantization, _ activation: QuantizedLayer.FusedActivation) -> Stage {
                    Stage(activation: activation.rawValue, clampMin: r.clamp.lowerBound, clampMax: r.clamp.upperBound,
                          multiplierMin: r.multiplierRange.lowerBound, multiplierMax: r.multiplierRange.upperBound,
                          shiftMin: r.shiftRange.lowerBound, shiftMax: r.shiftRange.upperBound, multipliers: r.multipliers, shifts: r.shifts)
                }
                depthwise = stage(q.depthwise, layer.depthwiseActivation)
                pointwise = stage(q.pointwise, layer.pointwiseActivation)
                leadingPad = layer.leadingPad
                int8WeightBytes = q.depthwiseWeights.count + q.pointwiseWeights.count
                int32TableBytes = q.weightBytes - int8WeightBytes + q.requantizationBytes
                accumulatorBound = q.accumulatorBound
                weightTableBytes = q.weightTableBytes(dsp: false)
                dspWeightTableBytes = q.weightTableBytes(dsp: true)
                pointwiseTile = QuantizedPlan.pointwiseTile
                requantization = q.roundsInOneStep ? "one step" : "step by step"
                dualGroup = QuantizedPlan.dualGroup
                dualPointwiseTile = q.dualPointwiseTile
                widensOnce = q.widensIntermediateOnce
                saturation = q.saturation.rawValue
                vectorTargets = q.vectorTargets.map(\.cCondition)
                vectorTile = QuantizedPlan.vectorTile
                vectorDepthwise = q.channels >= vectorTile ? "\(vectorTile) input channels at once" : "one channel at a time (fewer than \(vectorTile) input channels)"
                let (first, second) = q.vectorRequantizes
                vectorRequantization = first && second ? "both stages" : first ? "depthwise" : second ? "pointwise" : "neither stage"
            }

            /// The text report's lines.
            var lines: [String] {
                func tensor(_ t: Tensor) -> String { "scale \(t.scale), zero point \(t.zeroPoint)" }
                func stage(_ name: String, _ s: Stage) -> String {
                    "  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(s.activation), clamp \(s.clampMin) ... \(s.clampMax), "
                        + "multipliers \(s.multiplierMin) ... \(s.multiplierMax) (Q31), shifts \(s.shiftMin) ... \(s.shiftMax) (\(s.multipliers.count) channels)"
                }
                return ["  int8 input       " + tensor(input) + (leadingPad > 0 ? "; \(leadingPad) leading steps of the zero point (PAD)" : ""),
                        "  int8 middle      " + tensor(intermediate), "  int8 output      " + tensor(output),
                        stage("depthwise int8", depthwise), stage("pointwise int8", pointwise),
                        "  int8 tables      \(int8WeightBytes) bytes of int8 weights, \(int32TableBytes) bytes of biases, multipliers and shifts; "
                            + "int32 sums stay within ±\(accumulatorBound)",
                        "  int8 loops       pointwise \(pointwiseTile) filters at a time; requantization in \(requantization) (TFLite's double rounding); "
                            + "\(weightTableBytes) bytes of weight and bias tables",
                        "  int8 DSP path    C where __ARM_FEATURE_DSP: __smlad on \(dualGroup) intermediate channels a load (__sxtb16"
                            + (widensOnce ? ", once per step" : "") + "), \(dualPointwiseTile) filters at a time, pointwise weights as int16 pairs "
                            + "(\(dspWeightTableBytes) bytes of weight and bias tables), __ssat: \(saturation)",
                        "  int8 vector path C where AVX2 (x86) or NEON (AArch64), before the DSP path: pointwise \(vectorTile) filters a call "
                            + "on 16-bit multiply-adds of intermediate channel pairs (_mm256_madd_epi16, vmlal_s16), depthwise \(vectorDepthwise), "
                            + "\(vectorTile) values requantized at once in \(vectorRequantization), the rest one by one; off with -DSEPCONV_GEN_PORTABLE"]
            }
        }

        init(_ plan: LayerPlan) {
            let channelsLast = plan.dataFormat == .channelsLast
            name = plan.name; dtype = plan.format.name; dataFormat = plan.dataFormat.rawValue; activation = plan.activation.rawValue
            inputSteps = plan.inputSteps; inputChannels = plan.inputChannels; filters = plan.filters
            kernelSize = plan.kernelSize; strides = plan.stride; dilationRate = plan.dilation
            depthMultiplier = plan.depthMultiplier; depthwiseChannels = plan.depthwiseChannels
            padding = plan.padding.rawValue; padLeft = plan.padLeft; padRight = plan.padRight
            convolutionSteps = plan.convolutionSteps; outputSteps = plan.outputSteps; outputChannels = plan.outputChannels
            receptiveField = plan.receptiveField
            inputShape = channelsLast ? [plan.inputSteps, plan.inputChannels] : [plan.inputChannels, plan.inputSteps]
            outputShape = channelsLast ? [plan.outputSteps, plan.outputChannels] : [plan.outputChannels, plan.outputSteps]
            useBias = plan.useBias
            parameters = plan.parameterCount; multiplyAdds = plan.multiplyAdds
            convolution = plan.convolution == .separable ? nil : plan.convolution
            depthwiseMultiplyAdds = plan.depthwiseMultiplyAdds; pointwiseMultiplyAdds = plan.pointwiseMultiplyAdds
            unroll = Dictionary(uniqueKeysWithValues: TargetLanguage.allCases.map {
                ($0.rawValue, Unroll(strategy: plan.unroll[$0].rawValue, budget: UnrollBudget.autoMultiplyAdds(for: $0, dtype: plan.dtype)))
            })
            schedule = plan.quantized == nil ? Schedule(plan.schedule) : nil
            estimatedSourceBytes = Dictionary(uniqueKeysWithValues: TargetLanguage.allCases.map { ($0.rawValue, SourceEstimate.bytes(plan, $0)) })
            weightsProvenance = plan.provenance
            footprint = plan.footprint
            epilogue = plan.epilogue.map(\.description)
            streaming = StreamExplain.Summary(plan)
            quantization = plan.quantized.map(Quantization.init)
            runs = plan.runs.map { Run(firstStep: $0.steps.lowerBound, endStep: $0.steps.upperBound, firstTap: $0.firstTap, tapCount: $0.tapCount, interior: $0.isInterior) }
        }

        /// `KernelSchedule`, flattened for JSON.
        struct Schedule: Encodable {
            struct Block: Encodable { var firstFilter: Int, filters: Int, partialLanes: Int }
            struct Group: Encodable { var firstChannel: Int, blocks: Int, lanes: Int }
            struct Tile: Encodable { var firstStep: Int, endStep: Int, kind: String, tiles: Int?, taps: [[Int]]? }
            var vectorBytes: Int, lanes: Int, tile: Int, tileLengths: [Int], stackBytes: Int, outputTile: Bool
            var filterBlocks: [Block], plainBlocks: Int, accumulatorVectors: Int
            var depthwiseGroups: [Group], wideDepthwiseGroups: [Group], scalarChannels: [Int], tapsUnrolled: Bool
            var widePointwisePairs: Bool, wideDepthwise: Bool, prefetchRows: Int, pointwiseBytes: Int
            var cVectorGuard: String, routines: [String], tiles: [Tile], partialSums: [KernelSchedule.PartialSums]
            var scalarPointwise: [KernelSchedule.ScalarPointwise], fusesActivation: Bool, loadsWeightsTogether: Bool, leadingPartialSteps: Int

            init(_ s: KernelSchedule) {
                vectorBytes = KernelSchedule.vectorBytes; lanes = s.lanes; tile = s.tile; tileLengths = s.tileLengths
                stackBytes = s.stackBytes; outputTile = s.needsOutputTile
                filterBlocks = s.filterBlocks.map { Block(firstFilter: $0.vector * s.lanes, filters: $0.count * s.lanes, partialLanes: $0.partialLanes) }
                plainBlocks = s.plainBlockCount; accumulatorVectors = s.blockVectors
                let group = { (g: KernelSchedule.ChannelGroup) in Group(firstChannel: g.first, blocks: g.count, lanes: g.lanes) }
                depthwiseGroups = s.depthwiseGroups(wide: false).map(group)
                wideDepthwiseGroups = s.hasWideDepthwise ? s.depthwiseGroups(wide: true).map(group) : []
                scalarChannels = [s.scalarChannels.lowerBound, s.scalarChannels.upperBound]; tapsUnrolled = s.unrollsTaps
                widePointwisePairs = s.hasWidePairs; wideDepthwise = s.hasWideDepthwise
                prefetchRows = s.prefetchesWeights ? KernelSchedule.prefetchRows : 0; pointwiseBytes = s.pointwiseBytes
                cVectorGuard = s.vectorGuard.cCondition; routines = s.routines.map(\.name); partialSums = s.partialSums
                scalarPointwise = s.scalarPointwise; fusesActivation = s.fusesActivation; loadsWeightsTogether = s.loadsWeightsTogether
                leadingPartialSteps = s.leadingPartialSteps
                tiles = s.tiles.map { tile in
                    switch tile {
                    case .interior(let start, let count):
                        Tile(firstStep: start, endStep: start + count * s.tile, kind: "interior", tiles: count, taps: nil)
                    case .border(let start, let steps):
                        Tile(firstStep: start, endStep: start + steps.count, kind: "border", tiles: nil, taps: steps.map { [$0.first, $0.count] })
                    }
                }
            }
        }

        func unrollReason(_ language: TargetLanguage) -> String {
            let budget = unroll[language.rawValue]?.budget ?? 0
            let fits = multiplyAdds <= budget ? "within" : "over"
            return "\(unroll[language.rawValue]?.strategy ?? "?") (\(multiplyAdds) multiply-adds, \(fits) the auto budget of \(budget))"
        }
    }
}
