/// What `explain` says about the streaming API (`streaming: true`).
enum StreamExplain {
    /// The report's lines for `plan`: none when it does not stream.
    static func lines(_ plan: LayerPlan) -> [String] {
        guard let g = plan.stream else { return [] }
        return [
            "  streaming        delay \(g.delay) frames (output frame t completes at input frame t * \(g.stride) + \(g.delay)), "
                + "state \(g.stateBytes) bytes (a ring of \(g.ringFrames) frames x \(g.frameChannels) channels x \(g.elementBytes) bytes for a window of \(g.windowFrames), "
                + "+ its start and a count, LP64), "
                + "\(g.multiplyAddsPerFrame) multiply-adds per output frame",
        ]
    }

    /// The streaming facts of `explain --json`.
    struct Summary: Encodable {
        var delay: Int, stateBytes: Int, windowFrames: Int, multiplyAddsPerFrame: Int, maxFlushFrames: Int

        /// The facts of `plan`, or nil when it does not stream (the key is then left out).
        init?(_ plan: LayerPlan) {
            guard let g = plan.stream else { return nil }
            delay = g.delay; stateBytes = g.stateBytes; windowFrames = g.windowFrames
            multiplyAddsPerFrame = g.multiplyAddsPerFrame; maxFlushFrames = g.maxFlushed
        }
    }
}
