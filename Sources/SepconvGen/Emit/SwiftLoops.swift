/// The `loops` kernel in Swift, the same plan as `CLoops` (see `KernelLayout`):
/// per tile of output steps, the depthwise stage into stack scratch, then a
/// register-blocked pointwise microkernel over standard-library SIMD vectors
/// (`SIMD8<Float>`, `SIMD4<Double>`), then the activation and store. Swift
/// has no condition for target features, so the 512-bit paths (C's
/// `__AVX512F__`: the depthwise stage 16 floats at a time, the pointwise
/// kernel for pairs of filter blocks) are chosen by `-D SEPCONV_GEN_AVX512`.
///
/// Multiply-adds go through `madd`: Swift does not contract `a + b * c`, and
/// `addingProduct` becomes a call of `fmaf` per lane on targets without FMA
/// (x86-64 without `-target-cpu`), so it is fused only on arm64 or when the
/// build says `-D SEPCONV_GEN_FMA` (with e.g. `-target-cpu native`): about
/// 20% faster there (AVX-512 implies FMA, so the 512-bit kernel always fuses).
/// The scratch comes from `withUnsafeTemporaryAllocation`, on the stack at
/// these sizes. Weight arrays reach the kernels as pointers through Swift's
/// array-to-pointer argument conversion.
struct SwiftLoops {
    let plan: LayerPlan
    let layout: KernelLayout
    let module: KernelModule

    private var type: String { plan.format.spelling(.swift) }
    private var vector: String { "SIMD\(W)<\(plan.format.spelling(.swift))>" }
    private var W: Int { layout.lanes }
    /// The 512-bit vector of the wide kernel: two blocks' rows at a time.
    private var wideVector: String { "SIMD\(2 * W)<\(plan.format.spelling(.swift))>" }
    private var pointer: String { "UnsafePointer<\(type)>" }
    private var mutablePointer: String { "UnsafeMutablePointer<\(type)>" }

    func print(_ printer: inout CodePrinter) {
        let program = ProgramPrinter(spelling: SwiftSpelling(namer: Namer(plan, .swift)))
        program.printTables(module, into: &printer)
        program.printHelpers(module, into: &printer)
        printer.line("@inline(__always)")
        printer.block("private static func load(_ p: \(pointer)) -> \(vector) {") { body in
            body.line("UnsafeRawPointer(p).loadUnaligned(as: \(vector).self)")
        }
        printer.line()
        printer.line("/// a + b * c: fused on arm64, or where `-D SEPCONV_GEN_FMA` says the target has FMA")
        printer.line("/// (with `-target-cpu`); elsewhere a multiply and an add, as `addingProduct` would call `fma` per lane.")
        for operand in [type, vector] {
            printer.line("@inline(__always)")
            printer.block("private static func madd(_ a: \(vector), _ b: \(vector), _ c: \(operand)) -> \(vector) {") { body in
                body.line("#if SEPCONV_GEN_FMA || arch(arm64)")
                body.line("a.addingProduct(b, c)")
                body.line("#else")
                body.line("a + b * c")
                body.line("#endif")
            }
        }
        printer.line()
        printer.line("@inline(__always)")
        printer.block("private static func store(_ p: \(mutablePointer), _ v: \(vector), _ n: Int) {") { body in
            body.block("if n == \(W) {") { body in
                body.line("UnsafeMutableRawPointer(p).storeBytes(of: v, as: \(vector).self)")
            }
            body.block("else {") { body in
                body.line("for l in 0..<n { p[l] = v[l] }")
            }
        }
        printer.line()
        if layout.usesWideVectors {
            printer.line("#if SEPCONV_GEN_AVX512")
            printer.line("@inline(__always)")
            printer.block("private static func loadWide(_ p: \(pointer)) -> \(wideVector) {") { body in
                body.line("UnsafeRawPointer(p).loadUnaligned(as: \(wideVector).self)")
            }
            let operands = (layout.hasWidePairs ? [type] : []) + (layout.hasWideDepthwise ? [wideVector] : [])
            for operand in operands {
                printer.line("@inline(__always)")
                printer.block("private static func madd(_ a: \(wideVector), _ b: \(wideVector), _ c: \(operand)) -> \(wideVector) {") { body in
                    body.line("a.addingProduct(b, c)")
                }
            }
            printer.line("#endif")
            printer.line()
        }
        program.printSections(module, into: &printer)
    }
}
