/// What a layer's emitted code needs in memory, for budgeting on small
/// targets, as the plan decides it: `explain` prints it. The C header's
/// stack bound is read from the lowered kernel instead (`CEmitter.parts`);
/// `StackBoundTests` holds the two equal.
public struct Footprint: Hashable, Sendable, Encodable {
    /// Bytes of the layer's weights: parameters × the element's bytes (the
    /// `loops` tables add zero padding to whole vectors on top).
    public var weightBytes: Int
    /// Bytes of the C kernel's stack buffers (the depthwise tile, the output
    /// tile where one is needed); its frame adds spills and saved registers.
    public var stackBytes: Int
    /// Bytes of one streaming state (`N_stream`), when the spec streams.
    public var streamStateBytes: Int?
    /// Bytes of the stack buffer a streaming push copies windows into, when the spec streams.
    public var streamStageBytes: Int?
}

extension LayerPlan {
    /// The footprint of the C kernel the plan gives.
    public var footprint: Footprint {
        if let quantized {
            // int8 weight tables, int32 biases, multipliers and shifts; the stack holds the int8 intermediate of one step
            // and, on the DSP path where it widens it once, its int16 pairs (a 32-bit word per two channels of a group).
            // The vector paths' buffers (`QuantizedPlan.vectorStackBytes`) are in the `loops` kernel alone, in place of the DSP path's.
            let pairs = quantized.widensIntermediateOnce ? 2 * (depthwiseChannels / QuantizedPlan.dualGroup) * 4 : 0
            let vector = unroll.c == .loops && convolutionSteps > 0 ? quantized.vectorStackBytes : 0
            return Footprint(weightBytes: quantized.weightBytes + quantized.requantizationBytes, stackBytes: depthwiseChannels + max(pairs, vector),
                             streamStateBytes: stream?.stateBytes, streamStageBytes: stream?.stageBytes)
        }
        let elementBytes = schedule.elementBytes
        let stack = switch unroll.c {
        case .full: epilogue.isEmpty ? 0 : schedule.paddedFilters * elementBytes
        case .loops: schedule.stackBytes
        }
        return Footprint(weightBytes: parameterCount * elementBytes, stackBytes: stack, streamStateBytes: stream?.stateBytes,
                         streamStageBytes: stream?.stageBytes)
    }
}
