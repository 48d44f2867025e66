extension SpecDecoder {
    /// The top-level `streaming` key (default false). Streaming computes each
    /// output frame from the frames it has seen, so it is refused where the
    /// activation acts along the steps axis (softmax, log_softmax, sparsemax
    /// and glu with channels_first: each output needs every step), and where
    /// the state (the receptive field's frames) would pass the activation limit.
    mutating func decodeStreaming(_ top: Node.Mapping, activation: Activation, dataFormat: DataFormat,
                                  channels: Int, kernel: Int, dilation: Int) -> Bool {
        guard let node = value(top, "streaming", path: "streaming"), let flag = reader.bool(node, path: "streaming"), flag else {
            return false
        }
        if activation.isRowWise && dataFormat == .channelsFirst {
            diagnostics.error("streaming: true cannot be used with activation '\(activation.rawValue)' and channels_first: "
                              + "it acts along the steps axis, so no output frame is complete before the whole signal is", at: node.mark)
        }
        let stateValues = ((kernel - 1) * dilation + 1) * channels
        if stateValues > Limits.maxActivationValues {
            diagnostics.error("streaming: true needs a state of \(stateValues) values (the receptive field's frames); "
                              + "at most \(Limits.maxActivationValues) are supported", at: node.mark)
        }
        return true
    }
}
