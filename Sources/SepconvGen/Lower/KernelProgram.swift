/// The language-neutral kernel program: what `Lowering` builds once from a
/// plan and `CPrinter` and `SwiftPrinter` only spell. Every operator says
/// which arithmetic it is: integers are index arithmetic (C `int`, Swift
/// wrapping `&+`), reals the layer's element type (`plus`, `difference`,
/// `product`, `ratio`, `negate`, the math library); conversions between
/// them are explicit (`toElement`, `convert`). Only `select`, the
/// comparisons and `element` serve both, taking their type from their
/// operands, and a name has the type its declaration or parameter gives it,
/// so every expression's type follows from its operands. Names are the namer's
/// base names (each printer prefixes or camel-cases them, see `Namer`).
/// Operators print no parentheses of their own beyond what their operands'
/// kinds need (sums under products, a compound right operand): an operand of
/// lower precedence than `?:`-free arithmetic (a `select`, a comparison) is
/// wrapped in `group` by whoever builds the expression.
indirect enum Expr: Hashable, Sendable {
    /// An integer constant.
    case int(Int)
    /// A literal of the element type, exact (hexadecimal).
    case real(Double)
    /// A vector of zeros (C: an initializer only).
    case zero
    /// A local, parameter or loop counter; or a function the code calls by
    /// its own name in every language (`memcpy`, an ACLE intrinsic, a helper already named).
    case name(String)
    /// A routine or array of the layer, spelled by the namer (`N_act` / `act`).
    case symbol(String)
    /// A weight table of the layer (`depthwise`, `pointwise`, `pointwise<block>`,
    /// `bias`), spelled by the namer: the batch kernel's for a window kernel that borrows them.
    case weights(String)
    /// Integer sum of the terms, in order.
    case sum([Expr])
    /// Integer difference.
    case minus(Expr, Expr)
    /// Integer product.
    case times(Expr, Expr)
    /// Real product.
    case product(Expr, Expr)
    /// Real sum.
    case plus(Expr, Expr)
    /// `base[index]`.
    case element(Expr, Expr)
    /// The pointer `base` advanced by `offset` elements.
    case offset(Expr, Expr)
    /// A call.
    case call(Expr, [Expr])
    /// `a < b`.
    case less(Expr, Expr)
    /// `condition ? a : b`, of the type of `a` and `b`.
    case select(Expr, Expr, Expr)
    /// A vector loaded from the pointer, 32 bytes or (`wide`) 64.
    case load(Expr, wide: Bool)
    /// A literal of the element type written in decimal, as given (C adds
    /// the precision's suffix, `1.0f`): the activations' constants, whose
    /// digits are those of the formulas they come from.
    case decimal(String)
    /// Real `a - b`.
    case difference(Expr, Expr)
    /// Real `a / b`.
    case ratio(Expr, Expr)
    /// Real `-a`.
    case negate(Expr)
    /// The C math library's `function` (`exp`, `tanh`, ...) in the element
    /// type's precision (`expf` for float32), which Swift calls too.
    case math(String, [Expr])
    /// |a| of a real (C `fabsf`, Swift `abs`).
    case magnitude(Expr)
    /// `a || b`.
    case or(Expr, Expr)
    /// The address of the local `name` (C `&name`), for a call that copies through it.
    case address(String)
    /// The integer `value` converted to `type`: widening (exact), or to
    /// fewer bits (keeps the low bits; the int8 kernels narrow only values
    /// already in range, or take the high word of a shifted int64).
    case convert(Expr, IntegerType)
    /// `a >> b` on integers (arithmetic: rounds toward −∞).
    case shiftRight(Expr, Expr)
    /// `a << b` on a non-negative integer that stays in range.
    case shiftLeft(Expr, Expr)
    /// `a & b` on integers.
    case bitAnd(Expr, Expr)
    /// Integer `a / b`, truncating toward zero (b ≠ 0).
    case quotient(Expr, Expr)
    /// `(e)`: an operand whose operators bind differently in C and Swift, or a `?:` inside a sum.
    case group(Expr)
    /// `a op b`: a comparison of two integers or two reals.
    case compare(Expr, Comparison, Expr)
    /// `a && b`.
    case and(Expr, Expr)
    /// The integer `value` as the element type.
    case toElement(Expr)
    /// `a % b` on integers (b ≠ 0; C99 and Swift both take the sign of `a`).
    case remainder(Expr, Expr)
    /// The value of a `counter` parameter (C reads through its pointer, Swift names the `inout` parameter).
    case pointee(String)
    /// A `counter` parameter passed on as a routine's `counter` argument (C the pointer, Swift `&name`).
    case forward(String)
    /// The streaming API's window kernel `name` (`frame`, `tile`), computing
    /// its output frames from a window; `outlined`: through C's out-of-line
    /// wrapper (`<layer>_stream_frame`), which keeps a push small.
    case kernel(String, outlined: Bool)

    // Network stream chain: the glue that passes a network stream's frames from step to step.
    /// The field `path` (`s3`, `s2.frames`) of a network stream's state, the
    /// routine's `state` parameter: C reaches it through the pointer, Swift in the `inout` struct.
    case stateField(String)
    /// A state field passed as a `counter` argument: `&` in both languages (C its address, Swift `inout`).
    case stateCounter(String)
    /// The section 6 stream of the SeparableConv1D `layer`, in the state
    /// field `field`, pushed the one frame at `frame` (`channels` values) and
    /// writing its output frames at `output`, which has room for `capacity`
    /// values; returns how many it wrote. C calls the layer's functions on
    /// the field's address; Swift calls the field's `Stream` methods, which
    /// take buffers (the extents are theirs to check).
    case layerPush(layer: String, field: String, frame: Expr, channels: Int, output: Expr, capacity: Int)
    /// That stream's flush into `output` (room for `capacity` values); returns the frames it wrote.
    case layerFlush(layer: String, field: String, output: Expr, capacity: Int)
    /// The pooling routine `routine` on the ring and the frame count of the
    /// state field `field`, then `arguments`: C passes the field's ring and
    /// the count's address, Swift reaches the ring's array through the
    /// field's `withRing` (an array's elements have no lasting pointer).
    case ringCall(field: String, routine: String, [Expr])

    /// Whether the expression needs no parentheses as an operand of any
    /// operator (a name, a non-negative number, an element, a call, a group,
    /// or an operator that prints its own parentheses).
    var isPrimary: Bool {
        switch self {
        case .int(let value): value >= 0
        // A conversion is a C cast, which binds tighter than every binary operator, or a Swift call.
        case .name, .symbol, .weights, .element, .call, .group, .convert, .shiftRight, .shiftLeft, .bitAnd, .quotient, .pointee, .toElement,
             .remainder, .math, .magnitude, .address: true
        case .decimal(let digits): !digits.hasPrefix("-")
        default: false
        }
    }

    /// Whether the expression is a sum or difference (needs parentheses under a product).
    var isSum: Bool {
        switch self {
        case .sum, .minus, .plus, .difference: true
        default: false
        }
    }

    /// Whether the expression is a real product or ratio (needs parentheses as
    /// the right operand of another: floating-point arithmetic does not reassociate).
    var isProduct: Bool {
        switch self {
        case .product, .ratio: true
        default: false
        }
    }
}

/// One statement of a routine.
indirect enum Statement: Hashable {
    /// A comment line.
    case comment([CommentPiece])
    /// A constant integer local.
    case constant(String, Expr)
    /// A pointer to elements, constant.
    case pointer(String, Expr)
    /// Vector locals: weights (constant) or accumulators (`mutated` when the code adds into them).
    case vectors([String], [Expr], wide: Bool, role: VectorRole)
    /// `accumulator += a * b` on vectors (fused where the target says so).
    case multiplyAdd(String, Expr, Expr)
    /// Stores the vector `value` at the pointer.
    case store(Expr, String, wide: Bool)
    /// Stores the first `lanes` lanes of the vector `value` at the pointer.
    case storePartial(Expr, String, lanes: Int)
    /// A constant local of the element type.
    case value(String, Expr)
    /// Asks for the line at the pointer to be fetched into the cache (C; Swift has no way to).
    case prefetch(Expr)
    /// The 512-bit path, and the fallback where the target has no 512-bit vectors.
    case guarded([Statement], [Statement])
    /// Loops and scopes opened on one line around one body.
    case nest([Header], [Statement])
    /// A mutable local, of the element type or (`integer`) an index.
    case variable(String, Expr, integer: Bool)
    /// A local of the element type holding the sum of `terms` (0 when empty),
    /// one statement per term where the language's type checker wants it.
    case sum(String, [Expr])
    /// `target op value`: a plain or compound assignment.
    case assign(Expr, Assignment, Expr)
    /// A call of a routine for its effect.
    case call(Expr, [Expr])
    /// `for counter in from ..< to`, printed on one line when its body is one loop or statement.
    case loop(String, from: Expr, to: Expr, [Statement])
    /// `for counter in from ..< to` with the counter declared by the loop itself (C99's `for (int i = ...`).
    case counting(String, from: Expr, to: Expr, [Statement])
    /// A loop left only by `exit`.
    case forever([Statement])
    /// Leaves the innermost `forever`.
    case exit
    /// Returns a value from a helper.
    case result(Expr)
    /// Returns from a routine without a value unless `a op b` holds (an
    /// activation's row helper on an empty row): Swift states the condition
    /// to go on (`guard n > 0 else { return }`), C the opposite one to leave
    /// (`if (n <= 0) { return; }`), so the condition is a comparison, which has an opposite.
    case returnUnless(Expr, Comparison, Expr)
    /// `if condition { then } else { otherwise }`.
    case branch(Expr, [Statement], [Statement])
    /// A scope with a comment on its opening line.
    case scope(String, [Statement])
    /// A table of constants of the element type, `aligned` to whole vectors where the language can say so (C).
    case table(String, comment: String, [Double], aligned: Bool = false)
    /// Stack buffers of the element type (name, elements), for `body`.
    case scratch([Buffer], [Statement])
    /// A block that declares its own loop counters (C's braces; Swift needs none).
    case declaring([Statement])
    /// A parameter the routine does not read (C says so, to keep -Wextra quiet).
    case unused(String, because: String)
    /// `while condition { body }`.
    case loopWhile(Expr, [Statement])
    /// Goes on with the next turn of the innermost loop.
    case next
    /// Copies `count` elements from the pointer `from` to the pointer `to` (the ranges do not overlap).
    case copy(to: Expr, from: Expr, count: Expr)
    /// A table of integer constants of `type` (the int8 kernels' weights,
    /// biases, multipliers and shifts).
    case integerTable(String, comment: String, [Int], IntegerType)
    /// A local of the fixed-width integer `type`, constant unless `mutable`.
    case integer(String, Expr, IntegerType, mutable: Bool)

    // Network stream chain
    /// Resets the section 6 stream of the SeparableConv1D `layer` in the state
    /// field `field` (C the layer's reset on its address, Swift its `Stream`'s `reset()`).
    case layerReset(layer: String, field: String)
}

/// A comparison, which C and Swift spell alike.
enum Comparison: String, Hashable, Sendable {
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

    /// The comparison that holds exactly when this one does not (on integers, or reals other than NaN).
    var opposite: Comparison {
        switch self {
        case .less: .greaterOrEqual
        case .lessOrEqual: .greater
        case .greater: .lessOrEqual
        case .greaterOrEqual: .less
        case .equal: .notEqual
        case .notEqual: .equal
        }
    }
}

/// An assignment, plain or compound, which C and Swift spell alike.
enum Assignment: String, Hashable, Sendable {
    case set = "=", add = "+=", subtract = "-=", multiply = "*="
}

/// A fixed-width integer type of the int8 kernels: C `<stdint.h>`, Swift's
/// own; or a count of frames (the streaming glue's).
enum IntegerType: Hashable {
    case int8, int16, int32, int64
    /// A count or position of frames: C `long` (the stream state's fields), Swift `Int`.
    case count

    /// `int8_t` ... in C, `Int8` ... in Swift.
    func spelling(_ language: TargetLanguage) -> String {
        if self == .count { return language == .c ? "long" : "Int" }
        return language == .c ? "int\(bits)_t" : "Int\(bits)"
    }

    /// The width; a count's is the widest C `long` has on the targets (LP64).
    var bits: Int {
        switch self {
        case .int8: 8
        case .int16: 16
        case .int32: 32
        case .int64, .count: 64
        }
    }

    /// The narrowest type that holds every one of `values`.
    static func holding(_ values: [Int]) -> IntegerType {
        let low = values.min() ?? 0, high = values.max() ?? 0
        if low >= -128 && high <= 127 { return .int8 }
        if low >= -32_768 && high <= 32_767 { return .int16 }
        return .int32
    }
}

/// What a vector local holds.
enum VectorRole: Hashable {
    case weight
    case accumulator(mutated: Bool)
}

/// One opener of a `nest`.
enum Header: Hashable {
    /// A loop whose counter the routine declares.
    case loop(String, from: Int, to: Int)
    /// A loop that declares its counter.
    case counting(String, from: Int, to: Int)
    /// A plain scope.
    case scope
}

/// A piece of a comment.
enum CommentPiece: Hashable {
    case text(String)
    /// The steps `from ..< to`.
    case steps(String, String)
    /// The steps `first` through `last`.
    case through(Int, Int)
    /// The `count` steps from `from`.
    case stepsFrom(String, Int)
}

/// A stack buffer: its name and elements.
struct Buffer: Hashable {
    var name: String
    var count: Int
    /// Its elements' integer type, where not the element type (C's int8 DSP path, whose buffers only C declares).
    var type: IntegerType? = nil
}

extension Statement {
    /// Bytes of every stack buffer `statements` declare, nested ones
    /// included (`elementBytes` for buffers of the element type): a bound on
    /// what they hold at once, however the compiler places block-scoped arrays.
    static func scratchBytes(_ statements: [Statement], elementBytes: Int) -> Int {
        statements.reduce(0) { total, statement in
            switch statement {
            case .scratch(let buffers, let body):
                total + buffers.reduce(0) { $0 + $1.count * ($1.type.map { $0.bits / 8 } ?? elementBytes) }
                    + scratchBytes(body, elementBytes: elementBytes)
            case .loop(_, _, _, let body), .counting(_, _, _, let body), .forever(let body), .loopWhile(_, let body), .nest(_, let body),
                 .scope(_, let body), .declaring(let body):
                total + scratchBytes(body, elementBytes: elementBytes)
            case .branch(_, let then, let otherwise), .guarded(let then, let otherwise):
                total + scratchBytes(then, elementBytes: elementBytes) + scratchBytes(otherwise, elementBytes: elementBytes)
            default: total
            }
        }
    }
}

/// A routine of the kernel.
struct Routine: Hashable {
    /// How a parameter is passed.
    enum Kind: Hashable {
        /// Elements read: C `const T *restrict`, Swift `UnsafePointer<T>`.
        case input
        /// Elements written: C `T *restrict`, Swift `UnsafeMutablePointer<T>`.
        case output
        /// A count or index: C `const int`, Swift `Int`.
        case integer
        /// A fixed-width integer value: C `const int32_t`, Swift `Int32`.
        case value(IntegerType)
        /// One value of the element type: C `const T`, Swift `T`.
        case element
        /// A count the routine reads and updates: C `long *restrict`, Swift `inout Int`.
        case counter
        /// Elements read, perhaps the same as a `sharedOutput`'s (a step that works in place): C `const T *`, Swift `UnsafePointer<T>`.
        case sharedInput
        /// Elements written, perhaps the same as a `sharedInput`'s, or read and
        /// written in place (an activation's row): C `T *`, Swift `UnsafeMutablePointer<T>`.
        case sharedOutput

        // Network stream chain
        /// The network stream's state: C `<network>_stream *`, Swift `inout Stream`.
        case state
    }

    /// The base name of the routine that computes one batch item (`<layer>_item`, `forwardItem`).
    static let itemName = "item"
    /// The base name of the routine that stores a tile through the activation and epilogue (`<layer>_finish`, `finish`).
    static let finishName = "finish"

    /// What a routine returns.
    enum Result: Hashable {
        /// A fixed-width integer or a count.
        case integer(IntegerType)
        /// A value of the element type (an elementwise activation helper's).
        case element
    }

    /// The namer's base name.
    var name: String
    /// The doc comment's first line; `(from, to)` pieces are step ranges,
    /// which each language writes its own way.
    var comment: [CommentPiece]
    /// The doc comment's further lines, plain text (an activation's notes on its formula).
    var details: [String] = []
    /// Whether the routine is a vector kernel (C: `<layer>_KERNEL`, with its attributes).
    var isKernel = false
    /// Whether the routine is a border step (C: `<layer>_BORDER`, kept out of line).
    var isBorder = false
    /// Whether the routine exists only on the 512-bit path (printed inside the target's guard).
    var isWide = false
    /// Whether the routine is kept out of line (C: the stream code's `<layer>_STREAM_OUTLINE`).
    var isOutlined = false
    /// Whether the routine is an activation helper, whose text `Activation.cCode`
    /// and `swiftCode` also publish for code outside the layer to call: Swift
    /// declares it `static`, not `private static`, and C passes its values
    /// unqualified (`float x`, `int n`), the signatures that API has always printed.
    var isHelper = false
    /// Whether Swift always inlines the routine (`@inline(__always)`): an
    /// elementwise activation helper, called once per output value in the
    /// kernels' innermost loops, where a call costs more than its arithmetic;
    /// the attribute makes inlining certain rather than the optimizer's choice.
    var isInlined = false
    /// What the routine returns; nil: nothing.
    var returns: Result? = nil
    var parameters: [(name: String, kind: Kind)]
    var body: [Statement]

    static func == (a: Routine, b: Routine) -> Bool {
        a.name == b.name && a.comment == b.comment && a.details == b.details && a.body == b.body
            && a.parameters.map(\.name) == b.parameters.map(\.name) && a.parameters.map(\.kind) == b.parameters.map(\.kind)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(body)
    }
}
