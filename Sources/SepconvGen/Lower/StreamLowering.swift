/// The streaming API's glue (SPEC section 6) as one kernel program, which
/// `CPrinter` and `SwiftPrinter` spell: the ring of the window's frames, the
/// reset, the loop that takes a push's frames, the stage that joins the
/// state's frames to a push's, the tile and frame kernels' calls and the
/// flush; and the counts of output frames a push and a flush write.
///
/// The state is the ring `ring` and two counts (`StreamGeometry`): `start`,
/// the ring slot of the next output's first tap, and `filled`, the frames the
/// window holds from it (negative: frames to skip before it). The routines
/// take the counts as `counter` parameters, so that C passes the fields of
/// its caller-owned struct and Swift the locals of its `Stream`'s methods;
/// the API around them (signatures, preconditions) is each language's template.
struct StreamLowering {
    let geometry: StreamGeometry

    init(_ geometry: StreamGeometry) {
        self.geometry = geometry
    }

    /// The routines in the order C defines them.
    var routines: [Routine] {
        [keep, clear, begin, run, pushFrames, feed, finish]
    }

    // MARK: - Expressions

    private var channels: Expr { .int(geometry.frameChannels) }

    /// The padding's value, as an element (an int8 layer's zero point prints as the integer it is).
    private var zero: Expr { .real(Double(geometry.padValue)) }

    private static func name(_ name: String) -> Expr { .name(name) }

    /// The pointer `base` advanced by `frames` frames of `channels` values.
    private static func frame(_ base: String, _ frames: Expr, channels: Int) -> Expr {
        .offset(.name(base), .times(frames, .int(channels)))
    }

    /// The ring slot of window position `position` (less than twice the window).
    private func slot(_ position: Expr) -> Expr {
        let window = geometry.windowFrames
        return .select(.less(position, .int(window)), position, .minus(position, .int(window)))
    }

    /// The first slot of the next output's window, `stride` frames on from `start`
    /// around the ring (a stride past the window keeps nothing).
    private func advance(_ start: Expr) -> Expr {
        let (window, stride) = (geometry.windowFrames, geometry.stride)
        guard stride < window else { return .int(0) }
        return .select(.less(start, .int(window - stride)), .sum([start, .int(stride)]), .minus(start, .int(window - stride)))
    }

    /// Output frames that `count` more frames complete when the window holds `filled`:
    /// one when the window is full, then one every `stride` frames.
    func completed(_ filled: Expr, _ count: Expr) -> Expr {
        let window = geometry.windowFrames
        let frames: Expr = .sum([filled, count])
        return .select(.compare(frames, .greaterOrEqual, .int(window)), .sum([.quotient(.minus(frames, .int(window)), .int(geometry.stride)), .int(1)]), .int(0))
    }

    /// Output frames still owed at flush when the window holds `filled`:
    /// ceil((filled − pad_left) / strides) where padding 'same' pads the right, else none.
    func pending(_ filled: Expr) -> Expr {
        guard geometry.padsRight else { return .int(0) }
        let offset = geometry.stride - 1 - geometry.padLeft
        let shifted: Expr = offset > 0 ? .sum([filled, .int(offset)]) : offset < 0 ? .minus(filled, .int(-offset)) : filled
        return .select(.compare(filled, .greater, .int(geometry.padLeft)), .quotient(shifted, .int(geometry.stride)), .int(0))
    }

    /// What the window holds after an output: the frames the next one shares with it.
    private var afterDrop: Expr { .int(geometry.windowFrames - geometry.stride) }

    /// A mutable count local.
    private static func count(_ name: String, _ value: Expr) -> Statement { .integer(name, value, .count, mutable: true) }

    /// A constant count local.
    private static func constant(_ name: String, _ value: Expr) -> Statement { .integer(name, value, .count, mutable: false) }

    private static func add(_ name: String, _ value: Expr) -> Statement { .assign(.name(name), .add, value) }

    private static func set(_ target: Expr, _ value: Expr) -> Statement { .assign(target, .set, value) }

    // MARK: - Routines

    /// Keeps `frame` in ring slot `slot` and in its mirror (every slot but the last has one).
    private var keep: Routine {
        let (window, c) = (geometry.windowFrames, geometry.frameChannels)
        let slot = Self.name("slot")
        return Routine(name: "stream_keep", comment: [.text("Keeps `frame` in ring slot `slot` and in its mirror (every slot but the last has one).")],
                       parameters: [("ring", .output), ("slot", .value(.count)), ("frame", .input)], body: [
            .copy(to: Self.frame("ring", slot, channels: c), from: Self.name("frame"), count: channels),
            .branch(.less(slot, .int(window - 1)), [
                .copy(to: Self.frame("ring", .sum([slot, .int(window)]), channels: c), from: Self.name("frame"), count: channels),
            ], []),
        ])
    }

    /// Sets ring slot `slot` and its mirror to the padding's value.
    private var clear: Routine {
        let (window, c) = (geometry.windowFrames, geometry.frameChannels)
        let slot = Self.name("slot")
        func zeros(_ first: Expr) -> Statement {
            .loop("i", from: .int(0), to: channels, [Self.set(.element(.name("ring"), .sum([.times(first, .int(c)), .name("i")])), zero)])
        }
        return Routine(name: "stream_clear", comment: [.text("Sets ring slot `slot` and its mirror to a frame of the padding's value.")],
                       parameters: [("ring", .output), ("slot", .value(.count))], body: [
            zeros(slot),
            .branch(.less(slot, .int(window - 1)), [zeros(.group(.sum([slot, .int(window)])))], []),
        ])
    }

    /// The state of an empty signal: every slot the padding's value, and the
    /// window its left pad of those frames ('same'; 'valid': none).
    private var begin: Routine {
        let pad = geometry.padLeft
        let window = pad > 0 ? "its first \(pad) slot\(pad == 1 ? "" : "s") the window's left pad" : "the window empty"
        return Routine(name: "stream_begin", comment: [.text("Starts an empty signal: the ring the padding's value, \(window).")],
                       parameters: [("ring", .output), ("state_start", .counter), ("state_filled", .counter)], body: [
            .loop("i", from: .int(0), to: .int(geometry.ringValues), [Self.set(.element(.name("ring"), .name("i")), zero)]),
            Self.set(.pointee("state_start"), .int(0)),
            Self.set(.pointee("state_filled"), .int(pad)),
        ])
    }

    /// Output frames 0 ..< n of the windows at `frames` + k · stride frames,
    /// a tile at a time where there is a tile kernel, then a frame at a time.
    private var run: Routine {
        let (stride, c, oc) = (geometry.stride, geometry.frameChannels, geometry.outputChannels)
        let k = Self.name("k"), n = Self.name("n")
        func step(_ kernel: String, _ frames: Int) -> [Statement] {
            [.call(.kernel(kernel, outlined: false), [Self.frame("frames", k, channels: stride * c), Self.frame("output", k, channels: oc)]),
             Self.add("k", .int(frames))]
        }
        let tile = geometry.tileKernel.map { plan in
            Statement.loopWhile(.compare(.sum([k, .int(plan.convolutionSteps)]), .lessOrEqual, n), step("tile", plan.convolutionSteps))
        }
        return Routine(name: "stream_run", comment: [.text("Output frames 0 .. n - 1 of the windows at `frames` + k * \(stride) frames, into `output`.")],
                       parameters: [("frames", .input), ("n", .value(.count)), ("output", .output)],
                       body: [Self.count("k", .int(0))] + [tile].compactMap { $0 } + [.loopWhile(.less(k, n), step("frame", 1))])
    }

    /// A push of any count of frames: the general case of `feed`.
    private var pushFrames: Routine {
        let (window, stride, c, oc) = (geometry.windowFrames, geometry.stride, geometry.frameChannels, geometry.outputChannels)
        let (start, filled, used, written, count) = (Self.name("start"), Self.name("filled"), Self.name("used"), Self.name("written"), Self.name("count"))
        let i = Self.name("i"), n = Self.name("n")
        let skip: [Statement] = [
            .comment([.text("Frames between two windows, which no output reads.")]),
            Self.constant("gap", .minus(.int(0), filled)),
            Self.constant("rest", .minus(count, used)),
            Self.constant("skip", .select(.less(.name("gap"), .name("rest")), .name("gap"), .name("rest"))),
            Self.add("used", .name("skip")),
            Self.add("filled", .name("skip")),
            .branch(.less(filled, .int(0)), [.exit], []),
        ]
        let inPlace: [Statement] = [
            .comment([.text("The next window starts in `frames`: the kernels read them in place.")]),
            Self.constant("left", .minus(count, used)),
            .branch(.compare(.name("left"), .greaterOrEqual, .int(window)), [
                Self.constant("n", .sum([.quotient(.minus(.name("left"), .int(window)), .int(stride)), .int(1)])),
                .call(.symbol("stream_run"), [Self.frame("frames", used, channels: c), n, Self.frame("output", written, channels: oc)]),
                Self.add("written", n),
                Self.add("used", .times(n, .int(stride))),
            ], []),
            Self.set(start, .int(0)),
            Self.set(filled, .minus(count, used)),
            // Negative `filled` (a stride past the window reaches beyond this push) keeps nothing: a `while`, not a range.
            Self.count("i", .int(0)),
            .loopWhile(.less(i, filled), [
                .call(.symbol("stream_keep"), [.name("ring"), i, Self.frame("frames", .sum([used, i]), channels: c)]),
                Self.add("i", .int(1)),
            ]),
            .exit,
        ]
        let inState: [Statement] = [
            .comment([.text("The next window starts in the state: complete it there.")]),
            .loopWhile(.and(.less(filled, .int(window)), .less(used, count)), [
                .call(.symbol("stream_keep"), [.name("ring"), slot(.sum([start, filled])), Self.frame("frames", used, channels: c)]),
                Self.add("filled", .int(1)),
                Self.add("used", .int(1)),
            ]),
            .branch(.less(filled, .int(window)), [.exit], []),
            .call(.kernel("frame", outlined: true), [Self.frame("ring", start, channels: c), Self.frame("output", written, channels: oc)]),
            Self.add("written", .int(1)),
            .comment([.text("The next output's window: \(stride) frames on.")]),
            Self.set(start, advance(start)),
            Self.set(filled, afterDrop),
            .comment([.text("Once the frames still needed all came with this push, read them there.")]),
            .branch(.and(.compare(filled, .greater, .int(0)), .compare(filled, .lessOrEqual, used)), [
                .assign(used, .subtract, filled),
                Self.set(filled, .int(0)),
            ], []),
        ]
        return Routine(name: "stream_push_frames", comment: [.text("A push of any count of frames (the general case of a push).")],
                       isOutlined: true, returns: .integer(.count),
                       parameters: [("ring", .output), ("state_start", .counter), ("state_filled", .counter),
                                    ("frames", .input), ("count", .value(.count)), ("output", .output)], body: [
            Self.count("start", .pointee("state_start")),
            Self.count("filled", .pointee("state_filled")),
            .comment([.text("Frames of `frames` read, output frames written.")]),
            Self.count("used", .int(0)),
            Self.count("written", .int(0)),
            .forever([
                .branch(.less(filled, .int(0)), skip, []),
                .branch(.compare(filled, .equal, .int(0)), inPlace, []),
            ] + stage + inState),
            Self.set(.pointee("state_start"), start),
            Self.set(.pointee("state_filled"), filled),
            .result(written),
        ])
    }

    /// The windows that start in the state, and at least a tile, from one
    /// buffer: the state's frames, then the push's, when they came with it.
    private var stage: [Statement] {
        guard geometry.stageFrames > 0 else { return [] }
        let (window, stride, c, oc) = (geometry.windowFrames, geometry.stride, geometry.frameChannels, geometry.outputChannels)
        let (filled, used, n, fresh) = (Self.name("filled"), Self.name("used"), Self.name("n"), Self.name("fresh"))
        let least = Self.name("least"), tile = geometry.tileOutputs
        return [
            .comment([.text("The windows that start in the state, and at least a tile: when their frames came with this push,"
                            + " they are copied after the state's into one buffer for the kernels.")]),
            Self.constant("least", .sum([.quotient(.minus(filled, .int(1)), .int(stride)), .int(1)])),
            Self.constant("n", .select(.compare(least, .greater, .int(tile)), least, .int(tile))),
            Self.constant("fresh", .minus(.sum([.times(.minus(n, .int(1)), .int(stride)), .int(window)]), filled)),
            .branch(.compare(.minus(.name("count"), used), .greaterOrEqual, fresh), [
                .scratch([Buffer(name: "stage", count: geometry.stageFrames * c)], [
                    .copy(to: .name("stage"), from: Self.frame("ring", .name("start"), channels: c), count: .times(filled, .int(c))),
                    .copy(to: Self.frame("stage", filled, channels: c), from: Self.frame("frames", used, channels: c), count: .times(fresh, .int(c))),
                    .call(.symbol("stream_run"), [.name("stage"), n, Self.frame("output", .name("written"), channels: oc)]),
                ]),
                Self.add("written", n),
                .comment([.text("The next window starts -filled frames on in `frames`.")]),
                .assign(filled, .subtract, .times(n, .int(stride))),
                .next,
            ], []),
        ]
    }

    /// A push of `count` frames (at least one): one frame (a signal pushed a
    /// frame at a time) straight into the ring and the window it completes,
    /// more by `stream_push_frames`.
    private var feed: Routine {
        let window = geometry.windowFrames, c = geometry.frameChannels
        let (start, filled) = (Self.name("start"), Self.name("filled"))
        return Routine(name: "stream_feed", comment: [.text("A push of `count` frames, at least one; returns the output frames it wrote.")],
                       returns: .integer(.count),
                       parameters: [("ring", .output), ("state_start", .counter), ("state_filled", .counter),
                                    ("frames", .input), ("count", .value(.count)), ("output", .output)], body: [
            .branch(.and(.compare(.name("count"), .equal, .int(1)), .compare(.pointee("state_filled"), .greaterOrEqual, .int(0))), [
                .comment([.text("One frame (a signal pushed a frame at a time): into the ring, and the window it completes.")]),
                Self.constant("start", .pointee("state_start")),
                Self.constant("filled", .sum([.pointee("state_filled"), .int(1)])),
                .call(.symbol("stream_keep"), [.name("ring"), slot(.minus(.sum([start, filled]), .int(1))), .name("frames")]),
                .branch(.less(filled, .int(window)), [
                    Self.set(.pointee("state_filled"), filled),
                    .result(.int(0)),
                ], []),
                .call(.kernel("frame", outlined: true), [Self.frame("ring", start, channels: c), .name("output")]),
                Self.set(.pointee("state_start"), advance(start)),
                Self.set(.pointee("state_filled"), afterDrop),
                .result(.int(1)),
            ], []),
            .result(.call(.symbol("stream_push_frames"), [.name("ring"), .forward("state_start"), .forward("state_filled"),
                                                          .name("frames"), .name("count"), .name("output")])),
        ])
    }

    /// A flush: the output frames whose windows reach past the last frame
    /// pushed, with the padding's value there, then the state of an empty signal.
    private var finish: Routine {
        let (window, c, oc) = (geometry.windowFrames, geometry.frameChannels, geometry.outputChannels)
        let (start, filled, written) = (Self.name("start"), Self.name("filled"), Self.name("written"))
        return Routine(name: "stream_finish", comment: [.text("A flush: writes the output frames still owed, returns how many, and starts an empty signal.")],
                       returns: .integer(.count),
                       parameters: [("ring", .output), ("state_start", .counter), ("state_filled", .counter), ("output", .output)], body: [
            Self.count("start", .pointee("state_start")),
            Self.count("filled", .pointee("state_filled")),
            Self.constant("pending", pending(filled)),
            Self.count("written", .int(0)),
            .loopWhile(.less(written, .name("pending")), [
                .comment([.text("Past the last frame (and any frames a stride skips there) the padded signal is the padding's value.")]),
                .branch(.less(filled, .int(0)), [Self.set(filled, .int(0))], []),
                .loopWhile(.less(filled, .int(window)), [
                    .call(.symbol("stream_clear"), [.name("ring"), slot(.sum([start, filled]))]),
                    Self.add("filled", .int(1)),
                ]),
                .call(.kernel("frame", outlined: false), [Self.frame("ring", start, channels: c), Self.frame("output", written, channels: oc)]),
                Self.add("written", .int(1)),
                Self.set(start, advance(start)),
                Self.set(filled, afterDrop),
            ]),
            .call(.symbol("stream_begin"), [.name("ring"), .forward("state_start"), .forward("state_filled")]),
            .result(written),
        ])
    }
}

extension Expr {
    /// The value of an integer expression of constants, nil where it reads
    /// anything else: the stream's counts for the sizes the generator states.
    var integerValue: Int? {
        switch self {
        case .int(let value): return value
        case .group(let e): return e.integerValue
        case .sum(let terms):
            let values = terms.compactMap(\.integerValue)
            return values.count == terms.count ? values.reduce(0, +) : nil
        case .minus(let a, let b): return a.integerValue.flatMap { a in b.integerValue.map { a - $0 } }
        case .times(let a, let b): return a.integerValue.flatMap { a in b.integerValue.map { a * $0 } }
        // Truncating toward zero, as C and Swift divide.
        case .quotient(let a, let b): return a.integerValue.flatMap { a in b.integerValue.flatMap { $0 == 0 ? nil : a / $0 } }
        case .select(let condition, let a, let b): return condition.truth.flatMap { $0 ? a.integerValue : b.integerValue }
        default: return nil
        }
    }

    /// Whether a condition on integer constants holds, nil where it reads anything else.
    private var truth: Bool? {
        switch self {
        case .less(let a, let b): Self.compared(a, b, <)
        case .compare(let a, .lessOrEqual, let b): Self.compared(a, b, <=)
        case .compare(let a, .greater, let b): Self.compared(a, b, >)
        case .compare(let a, .greaterOrEqual, let b): Self.compared(a, b, >=)
        case .compare(let a, .equal, let b): Self.compared(a, b, ==)
        case .and(let a, let b): a.truth.flatMap { a in b.truth.map { a && $0 } }
        case .group(let e): e.truth
        default: nil
        }
    }

    private static func compared(_ a: Expr, _ b: Expr, _ holds: (Int, Int) -> Bool) -> Bool? {
        a.integerValue.flatMap { a in b.integerValue.map { holds(a, $0) } }
    }
}
