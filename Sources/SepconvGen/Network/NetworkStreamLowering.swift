/// A network stream's pooling and padding steps as kernel programs, which
/// `CPrinter` and `SwiftPrinter` spell: each takes one frame and writes the
/// output frames it completes, and flushes the frames a signal's end
/// completes. Their state is a count of the frames that came (`frames`, a
/// `counter` parameter) and, for pooling, a ring of the last `size` frames
/// (frame i in slot i % size).
enum NetworkStreamLowering {
    /// A pooling step `k`'s routines: the window of frames `start ..< stop`
    /// from the ring (combined in the batch routine's order), the push of one
    /// frame, and for 'same' the flush of the windows past the last frame, cut there.
    static func pool(_ k: Int, kind: PoolKind, size: Int, stride: Int, padLeft: Int, same: Bool, channels: Int, delay: Int) -> [Routine] {
        let (c, p, v) = (Expr.name("c"), Expr.name("p"), Expr.name("v"))
        let (start, stop, i, first) = (Expr.name("start"), Expr.name("stop"), Expr.name("i"), Expr.name("first"))
        let (t, n, written) = (Expr.name("t"), Expr.name("n"), Expr.name("written"))
        /// The ring's value of channel `c` in frame `frame`.
        func ring(_ frame: Expr) -> Expr { .element(.name("ring"), .sum([.times(.remainder(frame, .int(size)), .int(channels)), c])) }
        let window = Routine(name: "pool\(k)_window", comment: [.text("Pooling step \(k): the window of frames start ..< stop, from the ring.")],
                             parameters: [("ring", .input), ("start", .value(.count)), ("stop", .value(.count)), ("y", .output)], body: [
            .loop("c", from: .int(0), to: .int(channels), [
                .variable("v", kind == .max ? ring(start) : .real(0), integer: false),
                .integer("p", kind == .max ? .sum([start, .int(1)]) : start, .count, mutable: true),
                .loopWhile(.less(p, stop), [
                    kind == .max ? .assign(v, .set, .select(.compare(ring(p), .greater, v), ring(p), v)) : .assign(v, .add, ring(p)),
                    .assign(p, .add, .int(1)),
                ]),
                .assign(.element(.name("y"), c), .set, kind == .max ? v : .ratio(v, .toElement(.minus(stop, start)))),
            ]),
        ])
        let push = Routine(name: "pool\(k)", comment: [.text("Pooling step \(k): frame i completes the window that ends there "
                                                             + "(output t with t * \(stride) - \(padLeft) + \(size) - 1 == i).")],
                           returns: .integer(.count), parameters: [("ring", .output), ("frames", .counter), ("x", .input), ("y", .output)], body: [
            .integer("i", .pointee("frames"), .count, mutable: false),
            .assign(.pointee("frames"), .set, .sum([i, .int(1)])),
            .integer("first", .minus(i, .int(size - 1 - padLeft)), .count, mutable: false),
            .copy(to: .offset(.name("ring"), .times(.remainder(i, .int(size)), .int(channels))), from: .name("x"), count: .int(channels)),
            .branch(.less(first, .int(0)), [.result(.int(0))], []),
            .branch(.compare(.remainder(first, .int(stride)), .notEqual, .int(0)), [.result(.int(0))], []),
            .call(.symbol("pool\(k)_window"), [.name("ring"), .select(.less(first, .int(padLeft)), .int(0), .minus(first, .int(padLeft))),
                                              .sum([i, .int(1)]), .name("y")]),
            .result(.int(1)),
        ])
        guard same else { return [window, push] }
        let flush = Routine(name: "pool\(k)_flush", comment: [.text("Pooling step \(k), 'same': the windows that reach past the last frame, cut there "
                                                                    + "(an average divides by the frames it covers).")],
                            returns: .integer(.count), parameters: [("ring", .input), ("frames", .counter), ("y", .output)], body: [
            .integer("n", .pointee("frames"), .count, mutable: false),
            .integer("total", .quotient(.sum([n, .int(stride - 1)]), .int(stride)), .count, mutable: false),
            .integer("t", .select(.compare(n, .greater, .int(delay)), .sum([.quotient(.minus(n, .int(delay + 1)), .int(stride)), .int(1)]), .int(0)),
                     .count, mutable: true),
            .integer("written", .int(0), .count, mutable: true),
            .loopWhile(.less(t, .name("total")), [
                .integer("start", .minus(.times(t, .int(stride)), .int(padLeft)), .count, mutable: false),
                .integer("stop", .sum([start, .int(size)]), .count, mutable: false),
                .call(.symbol("pool\(k)_window"), [.name("ring"), .select(.less(start, .int(0)), .int(0), start),
                                                  .select(.compare(stop, .greater, n), n, stop), .offset(.name("y"), .times(written, .int(channels)))]),
                .assign(t, .add, .int(1)),
                .assign(written, .add, .int(1)),
            ]),
            .assign(.pointee("frames"), .set, .int(0)),
            .result(written),
        ])
        return [window, push, flush]
    }

    /// A ZeroPadding1D step `k`'s routines: its left zeros come with the first frame, its right zeros at flush
    /// (and the left ones too, when no frame came).
    static func pad(_ k: Int, left: Int, right: Int, channels: Int) -> [Routine] {
        let zeros = Expr.name("zeros")
        let clear = Statement.loop("i", from: .int(0), to: .times(zeros, .int(channels)), [.assign(.element(.name("y"), .name("i")), .set, .real(0))])
        let firstZeros = Expr.select(.compare(.pointee("frames"), .equal, .int(0)), .int(left), .int(0))
        return [
            Routine(name: "pad\(k)", comment: [.text("Padding step \(k): the left zeros with the first frame.")], returns: .integer(.count),
                    parameters: [("frames", .counter), ("x", .input), ("y", .output)], body: [
                .integer("zeros", firstZeros, .count, mutable: false),
                .assign(.pointee("frames"), .add, .int(1)),
                clear,
                .copy(to: .offset(.name("y"), .times(zeros, .int(channels))), from: .name("x"), count: .int(channels)),
                .result(.sum([zeros, .int(1)])),
            ]),
            Routine(name: "pad\(k)_flush", comment: [.text("Padding step \(k): the right zeros (and the left ones, when no frame came) at flush.")],
                    returns: .integer(.count), parameters: [("frames", .counter), ("y", .output)], body: [
                .integer("zeros", .sum([.group(firstZeros), .int(right)]), .count, mutable: false),
                clear,
                .assign(.pointee("frames"), .set, .int(0)),
                .result(zeros),
            ]),
        ]
    }
}

extension NetworkStreamLowering {
    /// `routines` of the network `network` in `language`, an empty line after each.
    static func text(_ routines: [Routine], network: String, format: NumericFormat, language: TargetLanguage) -> [String] {
        let namer = Namer(layer: network, language: language, format: format)
        var printer = CodePrinter()
        switch language {
        case .c: ProgramPrinter(spelling: CSpelling(namer: namer)).print(routines, into: &printer)
        case .swift: ProgramPrinter(spelling: SwiftSpelling(namer: namer)).print(routines, into: &printer)
        }
        return Array(printer.lines.dropLast())
    }
}
