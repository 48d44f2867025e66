/// The emitted files' header comments, which both languages take from the
/// same words: the layer in one line, the kernel's shape, the buffers'
/// layout and the notes some layers add.
extension KernelLayout {
    /// One line describing the layer, for the files' header comments.
    var summary: String {
        let p = plan
        let input = p.dataFormat == .channelsLast ? "(\(p.inputSteps), \(p.inputChannels))" : "(\(p.inputChannels), \(p.inputSteps))"
        let output = p.dataFormat == .channelsLast ? "(\(p.outputSteps), \(p.outputChannels))" : "(\(p.outputChannels), \(p.outputSteps))"
        return "\(p.format.name) \(p.dataFormat.rawValue): input \(input) -> output \(output); kernel_size \(p.kernelSize), "
            + "strides \(p.stride), dilation_rate \(p.dilation), padding \(p.padding.rawValue) (\(p.padLeft) left, \(p.padRight) right), "
            + "depth_multiplier \(p.depthMultiplier), filters \(p.filters), \(p.useBias ? "bias" : "no bias"), activation \(p.activation.rawValue)."
    }

    /// The plan line of the header comments.
    func planDescription(_ language: TargetLanguage) -> String {
        let wide = language == .c ? "where the target has AVX-512" : "with -D SEPCONV_GEN_AVX512"
        if plan.quantized != nil {
            let shape = plan.unroll[language] == .full ? "fully unrolled, weights as literals" : "a loop per step run (borders peeled)"
            return "int8, TFLite's reference arithmetic (int32 sums, per-channel requantization), \(shape), \(plan.multiplyAdds) multiply-adds per item."
        }
        switch plan.unroll[language] {
        case .full:
            return "fully unrolled, \(plan.multiplyAdds) multiply-adds per item, weights as literals."
        case .loops:
            return "tiles of \(self.tile) output steps x \(self.blockVectors * self.lanes) filters in registers (\(self.lanes)-lane vectors"
                + (self.hasWidePairs ? "; x \(4 * self.lanes) in \(2 * self.lanes)-lane vectors \(wide)" : "")
                + "), depthwise fused per tile" + (self.hasWideDepthwise ? " (\(2 * self.lanes)-lane vectors \(wide))" : "")
                + ", borders peeled, \(plan.multiplyAdds) multiply-adds per item."
        }
    }

    /// The template values both languages' files take the same way.
    func templateValues(_ language: TargetLanguage, callsMath: Bool) -> TemplateRenderer {
        var values = TemplateRenderer()
        values["NAME"] = plan.name
        values["SUMMARY"] = summary
        values["PLAN"] = planDescription(language)
        values["LAYOUT"] = layoutDescription
        for (key, value) in [("INPUT_STEPS", plan.inputSteps), ("INPUT_CHANNELS", plan.inputChannels),
                             ("OUTPUT_STEPS", plan.outputSteps), ("OUTPUT_CHANNELS", plan.outputChannels)] {
            values[key] = String(value)
        }
        values["NOTES"] = notes(callsMath: callsMath, prefix: language == .c ? " * " : "// ")
        return values
    }

    /// Lines of the files' header comments that only some layers have: where
    /// generated weights came from, and (C) that the code calls libm.
    func notes(callsMath: Bool, prefix: String) -> String {
        let lines = [plan.provenance.map { "Weights " + $0 + "." },
                     callsMath ? "Link with -lm: the activation calls the C math library." : nil].compactMap { $0 }
        return lines.map { prefix + $0 + "\n" }.joined()
    }

    /// The layout of the buffers in words.
    var layoutDescription: String {
        plan.dataFormat == .channelsLast ? "each item (steps, channels) (channels_last)" : "each item (channels, steps) (channels_first)"
    }
}
