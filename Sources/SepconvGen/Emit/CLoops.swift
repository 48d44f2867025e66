/// The `loops` kernel in C (see `KernelLayout` for the tiling): per tile of
/// output steps, the depthwise stage into a stack buffer, then a
/// register-blocked pointwise microkernel, then the activation and store.
///
/// The fast path uses GCC/Clang vector extensions (`vector_size(32)`, lowered
/// to the target's SIMD) with the accumulators as named locals; it sits behind
/// the schedule's `VectorGuard`: GCC or Clang on a target with float SIMD.
/// Any other compiler or target (a Cortex-M, where vector extensions become
/// element-by-element code), or `-DSEPCONV_GEN_PORTABLE`, gets plain C99
/// loops with the same tiles (`Lowering.portableRoutines`): sums in locals,
/// weights loaded once per channel or filter group, each result stored once.
/// On Helium (Armv8.1-M MVE with float lanes), a float32 kernel's portable
/// path takes `CHelium`'s intrinsic routines in place of some of those.
/// Where the target has AVX-512 (`__AVX512F__`), the depthwise stage takes
/// 512-bit vectors of channels (`KernelLayout.hasWideDepthwise`) and pairs of
/// plain filter blocks a 512-bit microkernel (`KernelLayout.hasWidePairs`);
/// clang is told to keep such vectors whole (`min_vector_width`). Weights
/// past L1 are prefetched a few rows ahead (`KernelLayout.prefetchesWeights`).
/// gcc in ISO mode (`-std=c99`) does not contract `a * b + c` into fused
/// multiply-adds; the vector kernels and the portable ones ask it to
/// (`optimize("fp-contract=fast")`), as clang and gcc's GNU modes do by default.
struct CLoops {
    let plan: LayerPlan
    let layout: KernelLayout
    let module: KernelModule

    private var name: String { plan.name }
    private var type: String { plan.format.spelling(.c) }
    private var C: Int { plan.inputChannels }
    private var M: Int { plan.depthMultiplier }
    private var F: Int { plan.filters }
    private var CM: Int { plan.depthwiseChannels }
    private var W: Int { layout.lanes }
    private var Fp: Int { layout.paddedFilters }
    /// The row stride of the pointwise stage's destination.
    private var outStride: Int { layout.needsOutputTile ? Fp : F }

    private var program: ProgramPrinter<CSpelling> { ProgramPrinter(spelling: CSpelling(namer: Namer(plan, .c))) }

    var text: String {
        var printer = CodePrinter()
        printer.lines([
            "#if \(layout.vectorGuard.cCondition)",
            "#define \(name)_VECTOR 1",
            "#define \(name)_ALIGNED __attribute__((aligned(\(KernelLayout.vectorBytes))))",
            "#if defined(__clang__)",
            "/* clang splits 512-bit vectors in two on cores tuned for 256-bit ones unless the function asks for them. */",
            "#if __has_attribute(min_vector_width)",
            "#define \(name)_KERNEL static __attribute__((min_vector_width(512)))",
            "#else",
            "#define \(name)_KERNEL static",
            "#endif",
            "#else",
            "#define \(name)_KERNEL static __attribute__((optimize(\"fp-contract=fast\")))",
            "#endif",
            "/* Border steps: kept out of line, so their inlined copies do not grow the item's frame. */",
            "#define \(name)_BORDER static __attribute__((noinline))",
            "#else",
            "#define \(name)_ALIGNED",
        ])
        if CHelium.applies(to: plan) {
            printer.lines(CHelium.guardLines(name, relu: plan.schedule.fusesActivation))
        }
        if plan.schedule.portableGuards.contains(.mProfileFPU) {
            printer.lines(CScalarLoads.macros(name, counts: module.portableLoads.weights, depthwiseSteps: module.portableLoads.depthwiseSteps))
        }
        printer.lines([
            "#if defined(__GNUC__) && !defined(__clang__)",
            "/* gcc in ISO mode does not contract a * b + c into fused multiply-adds unless asked; its first scheduling pass",
            "   hoists loads until a register tile spills (on a Cortex-M55, 1.8 instructions a multiply-add in place of 1.3). */",
            "#define \(name)_KERNEL static __attribute__((optimize(\"fp-contract=fast\", \"no-schedule-insns\")))",
            "#else",
            "#define \(name)_KERNEL static",
            "#endif",
            "#endif",
            "",
        ])
        program.printTables(module, into: &printer)
        // Helium's routines compute the activation themselves.
        let helperGuard = helium?.computesActivation == true && !module.helpers.isEmpty
        if helperGuard { printer.line("#if !defined(\(name)_HELIUM)") }
        program.printHelpers(module, into: &printer)
        if helperGuard { printer.lines(["#endif", ""]) }
        // Every routine is printed only where something calls it (-Wunused-function).
        program.printSections(module, style: .init(
            // The `<name>_VECTOR` macro, defined above, holds the guard's condition.
            condition: { _ in "defined(\(name)_VECTOR)" },
            opening: { target in [""] + (target == nil ? [] : vectorPrelude) },
            routine: { routine, target, printer in printAlternative(target == nil ? heliumForm(of: routine) : nil, to: routine, into: &printer) }),
            into: &printer)
        return printer.text
    }

    /// The vector path's types and their loads and stores, 512-bit ones where the kernel has them.
    private var vectorPrelude: [String] {
        var lines = [
            "#include <string.h>",
            "",
            "typedef \(type) \(name)_vec __attribute__((vector_size(\(KernelLayout.vectorBytes))));",
            "/* The same vector at any element's alignment, allowed to alias the element type: unaligned loads and stores. */",
            "typedef \(type) \(name)_unaligned __attribute__((vector_size(\(KernelLayout.vectorBytes)), aligned(\(layout.elementBytes)), may_alias));",
            "#define \(name)_LOAD(p) (*(const \(name)_unaligned *)(p))",
            "#define \(name)_STORE(p, v) (*(\(name)_unaligned *)(p) = (v))",
            "",
        ]
        if let wideGuard = plan.schedule.wideGuard {
            let bytes = KernelLayout.vectorBytes * 2
            let uses = [layout.hasWideDepthwise ? "the depthwise stage takes \(2 * W) channels at a time" : nil,
                        layout.hasWidePairs ? "the pointwise stage takes two filter blocks at a time, one vector of each" : nil]
            lines += [
                "#if " + wideGuard.cCondition,
                "/* 512-bit registers: " + uses.compactMap { $0 }.joined(separator: "; ") + ". */",
                "#define \(name)_WIDE 1",
                "typedef \(type) \(name)_wide __attribute__((vector_size(\(bytes))));",
                "typedef \(type) \(name)_wide_unaligned __attribute__((vector_size(\(bytes)), aligned(\(layout.elementBytes)), may_alias));",
                "#define \(name)_WLOAD(p) (*(const \(name)_wide_unaligned *)(p))",
                "#define \(name)_WSTORE(p, v) (*(\(name)_wide_unaligned *)(p) = (v))",
                "#endif",
                "",
            ]
        }
        return lines
    }

    /// The Helium form of a portable or shared routine, where the kernel takes Helium and the routine has one.
    private func heliumForm(of routine: Routine) -> [String]? {
        guard let helium else { return nil }
        if routine.name == Routine.finishName { return helium.hasFinish ? helium.finish : nil }
        return helium.routine(routine.name)
    }

    /// The Helium forms of the portable routines, for a float32 kernel.
    private var helium: CHelium? {
        CHelium.applies(to: plan) ? CHelium(plan: plan, namer: Namer(plan, .c), activatesAsItStores: plan.schedule.fusesActivation) : nil
    }

    /// `routine`, or where the kernel takes Helium, `alternative` in its place.
    private func printAlternative(_ alternative: [String]?, to routine: Routine, into printer: inout CodePrinter) {
        guard let alternative else { return program.print(routine, into: &printer) }
        printer.line("#if defined(\(name)_HELIUM)")
        printer.lines(alternative)
        printer.line("#else")
        program.print(routine, into: &printer)
        printer.line("#endif")
    }
}
