/// A network stream's chain (SPEC.md section 8) as kernel programs, which
/// `CPrinter` and `SwiftPrinter` spell: the routine `stream<k>` of each step
/// `k`, which takes one frame, gives it to the step and passes each output
/// frame the step gives on to `stream<k+1>` (the last step writes the
/// network's output); `stream_frames`, a push's frames one at a time into the
/// first step; `stream_flush_steps`, each step's flush in order, its frames
/// pushed through the steps after it; and `stream_reset_steps`.
///
/// Every routine takes the network's stream state (`state`) and writes the
/// network's output frames at `output`, a pointer: Swift's API, whose output is
/// a buffer that may be empty, gives it the place of one value then (nothing
/// writes there: the preconditions say no frame is due). Each language's API
/// around these routines (signatures, preconditions, the state's
/// declaration) is its emitter's.
struct NetworkChainLowering {
    let plan: NetworkPlan
    /// How each of `plan.streamedSteps` streams.
    let streams: [StepStream]

    /// The routines in the order C defines them: each step's after the step it calls.
    var routines: [Routine] {
        plan.streamedSteps.indices.reversed().map(step) + [reset, frames, flush]
    }

    /// The code of step `index`'s own in `language`, which its `stream<k>` calls: pooling's
    /// ring routines, padding's, or the routine of a step on one frame (`f<k>`, after a comment
    /// line); whether it calls the C math library. Nil for a SeparableConv1D, whose section 6
    /// stream is its layer's code.
    func stepCode(_ index: Int, language: TargetLanguage) throws(NetworkCEmitter.Refusal) -> (lines: [String], callsMath: Bool)? {
        let (emitted, stream) = (plan.streamedSteps[index], streams[index])
        let (k, channels, format) = (emitted.number, emitted.step.outputShape.last ?? 1, plan.dtype.format)
        switch (emitted.step.operation, stream) {
        case (.separable, _):
            return nil
        case (.pool(let kind, let size, _, _, _), .window(_, let stride, let padLeft, let padsRight)):
            let routines = NetworkStreamLowering.pool(k, kind: kind, size: size, stride: stride, padLeft: padLeft, same: padsRight,
                                                      channels: channels, delay: stream.delay)
            return (NetworkStreamLowering.text(routines, network: plan.name, format: format, language: language), false)
        case (_, .pad(let left, let right)):
            let routines = NetworkStreamLowering.pad(k, left: left, right: right, channels: channels)
            return (NetworkStreamLowering.text(routines, network: plan.name, format: format, language: language), false)
        default:
            var frame = emitted.step
            frame.inputShape = [1, emitted.step.inputShape.last ?? 1]
            frame.outputShape = [1, channels]
            let (code, math) = try NetworkStepLowering.text(frame, network: plan.name, base: "f\(k)", dtype: plan.dtype, language: language)
            let comment = language == .c ? "/* \(NetworkCEmitter.comment(emitted.title)), on one frame */" : "// \(emitted.title), on one frame"
            return ([comment] + code, math)
        }
    }

    // MARK: - Expressions

    private static var written: Expr { .name("written") }

    /// The state field of step `number`.
    private static func field(_ number: Int) -> String { "s\(number)" }

    /// Values of one output frame of the network.
    private var outputChannels: Int { plan.streamOutputChannels }

    /// Where the network's next output frame goes: `written` frames into `output`.
    private var next: Expr { .offset(.name("output"), .times(Self.written, .int(outputChannels))) }

    /// `written += <the routine of step index + 1>(state, frame, next)`: the frame on through the rest of the chain.
    private func pass(_ index: Int, frame: Expr) -> Statement {
        .assign(Self.written, .add, .call(.symbol("stream\(plan.streamedSteps[index + 1].number)"), [.forward("state"), frame, next]))
    }

    /// The `count` frames of step `index`'s output at `y`, on through the steps after it.
    private func passAll(_ index: Int, count: Expr) -> Statement {
        let channels = plan.streamedSteps[index].step.outputShape.last ?? 1
        return .loop("i", from: .int(0), to: count, [pass(index, frame: .offset(.name("y"), .times(.name("i"), .int(channels))))])
    }

    /// What step `index` does with the one frame at `x`, its output frames at
    /// `output` (room for `capacity` values): statements, then the count of frames it wrote.
    private func push(_ index: Int, into output: Expr, capacity: Int) -> (effect: [Statement], count: Expr) {
        let (emitted, x) = (plan.streamedSteps[index], Expr.name("x"))
        let k = emitted.number
        switch (emitted.step.operation, streams[index]) {
        case (.separable(let layer), _):
            return ([], .layerPush(layer: layer.name, field: Self.field(k), frame: x, channels: emitted.step.inputShape.last ?? 1,
                                   output: output, capacity: capacity))
        case (.pool, .window):
            return ([], .ringCall(field: Self.field(k), routine: "pool\(k)", [x, output]))
        case (_, .pad):
            return ([], .call(.symbol("pad\(k)"), [.stateCounter(Self.field(k)), x, output]))
        default:
            return ([.call(.symbol("f\(k)"), [x, output])], .int(1))
        }
    }

    /// What step `index` does at flush, its frames at `output` (room for
    /// `capacity` values): statements, and the count of frames it wrote if it writes any.
    private func flushed(_ index: Int, into output: Expr, capacity: Int) -> (effect: [Statement], count: Expr?) {
        let k = plan.streamedSteps[index].number
        switch (plan.streamedSteps[index].step.operation, streams[index]) {
        case (.separable(let layer), _):
            return ([], .layerFlush(layer: layer.name, field: Self.field(k), output: output, capacity: capacity))
        case (.pool, .window(_, _, _, let padsRight)):
            // A 'valid' pooling has no window past the last frame: its flush is a reset.
            return padsRight ? ([], .ringCall(field: Self.field(k), routine: "pool\(k)_flush", [output]))
                : ([.assign(.stateField(Self.field(k) + ".frames"), .set, .int(0))], nil)
        case (_, .pad):
            return ([], .call(.symbol("pad\(k)_flush"), [.stateCounter(Self.field(k)), output]))
        default:
            return ([], nil)
        }
    }

    /// The most values step `index`'s flush writes (room for one frame at least: C has no empty array).
    private func flushCapacity(_ index: Int) -> Int {
        max(streams[index].maxFlushed, 1) * (plan.streamedSteps[index].step.outputShape.last ?? 1)
    }

    // MARK: - Routines

    /// Step `index`'s routine: one frame in, the network's output frames it leads to out.
    private func step(_ index: Int) -> Routine {
        let emitted = plan.streamedSteps[index]
        let channels = emitted.step.outputShape.last ?? 1
        let parameters: [(name: String, kind: Routine.Kind)] = [("state", .state), ("x", .input), ("output", .output)]
        let capacity = streams[index].framesPerFrame * channels
        guard index + 1 < plan.streamedSteps.count else {
            let (effect, count) = push(index, into: .name("output"), capacity: capacity)
            // Only a step on one frame has statements besides its count, and it keeps nothing in the state.
            let unused: [Statement] = effect.isEmpty ? [] : [.unused("state", because: "a step on one frame keeps nothing")]
            return Routine(name: "stream\(emitted.number)", comment: [.text("\(emitted.title): one frame in, its output frames out.")],
                           returns: .integer(.count), parameters: parameters, body: unused + effect + [.result(count)])
        }
        let (effect, count) = push(index, into: .name("y"), capacity: capacity)
        return Routine(name: "stream\(emitted.number)",
                       comment: [.text("\(emitted.title): one frame in, the network's output frames it leads to out.")],
                       returns: .integer(.count), parameters: parameters, body: [
            .integer("written", .int(0), .count, mutable: true),
            .scratch([Buffer(name: "y", count: capacity)], effect + [.integer("n", count, .count, mutable: false), passAll(index, count: .name("n"))]),
            .result(Self.written),
        ])
    }

    /// A push's `count` frames at `frames`, one at a time into the first step (a `while` on a count: a push may hold more frames than an `int`).
    private var frames: Routine {
        let i = Expr.name("i")
        let first = plan.streamedSteps.first?.number ?? 1
        return Routine(name: "stream_frames", comment: [.text("The `count` frames at `frames` through the chain, one at a time; returns the output frames written.")],
                       returns: .integer(.count), parameters: [("state", .state), ("frames", .input), ("count", .value(.count)), ("output", .output)], body: [
            .integer("written", .int(0), .count, mutable: true),
            .integer("i", .int(0), .count, mutable: true),
            .loopWhile(.less(i, .name("count")), [
                .assign(Self.written, .add, .call(.symbol("stream\(first)"), [.forward("state"), .offset(.name("frames"), .times(i, .int(plan.inputChannels))), next])),
                .assign(i, .add, .int(1)),
            ]),
            .result(Self.written),
        ])
    }

    /// Each step's last frames, in order, through the steps after it; every
    /// step's flush resets it. The frames of the steps before the last wait in one buffer, the largest of their flushes.
    private var flush: Routine {
        let last = plan.streamedSteps.count - 1
        var early: [Statement] = []
        var buffer = 0
        for index in 0..<max(last, 0) {
            let (effect, count) = flushed(index, into: .name("y"), capacity: flushCapacity(index))
            early += effect
            guard let count else { continue }
            let n = "n\(plan.streamedSteps[index].number)"
            early += [.integer(n, count, .count, mutable: false), passAll(index, count: .name(n))]
            buffer = max(buffer, flushCapacity(index))
        }
        let (effect, count) = last >= 0 ? flushed(last, into: next, capacity: flushCapacity(last)) : ([], nil)
        let final = effect + (count.map { [.assign(Self.written, .add, $0)] } ?? [])
        let body = (buffer > 0 ? [.scratch([Buffer(name: "y", count: buffer)], early)] : early) + final
        // `written` changes where a flush writes frames, and `output` is read only there.
        let writes = buffer > 0 || count != nil
        let unused: [Statement] = (body.isEmpty ? [.unused("state", because: "no step keeps anything")] : [])
            + (writes ? [] : [.unused("output", because: "no step has frames left at flush")])
        return Routine(name: "stream_flush_steps", comment: [.text("Each step's last frames, in order, through the steps after it; every step's flush resets it.")],
                       returns: .integer(.count), parameters: [("state", .state), ("output", .output)],
                       body: unused + [.integer("written", .int(0), .count, mutable: writes)] + body + [.result(Self.written)])
    }

    /// Every step's state as at the start of a signal.
    private var reset: Routine {
        let body = plan.streamedSteps.enumerated().compactMap { index, emitted -> Statement? in
            let field = Self.field(emitted.number)
            switch (emitted.step.operation, streams[index]) {
            case (.separable(let layer), _): return .layerReset(layer: layer.name, field: field)
            case (.pool, .window): return .assign(.stateField(field + ".frames"), .set, .int(0))
            case (_, .pad): return .assign(.stateField(field), .set, .int(0))
            default: return nil
            }
        }
        return Routine(name: "stream_reset_steps", comment: [.text("Every step's state as at the start of a signal.")],
                       parameters: [("state", .state)], body: body.isEmpty ? [.unused("state", because: "no step keeps anything")] : body)
    }
}
