/// What the lowering gives one language's printer for a layer of any
/// element type, built once: the constant tables, the activation helpers and
/// the routines in print order (the routines in sections, a target guard's
/// paths in one), and what the files' headers state about the kernel, read
/// from what it holds rather than predicted: the bytes of its stack buffers
/// and whether it calls the C math library. A float layer's module comes
/// from `init(plan:language:)`, an int8 layer's from `QuantizedLowering.module`.
/// The printer spells the guards and each language's prelude of vector types.
struct KernelModule {
    /// A run of routines in print order, or the paths a target guard chooses between.
    enum Section {
        /// Routines every target compiles.
        case routines([Routine])
        /// The first of the paths whose target the compiler has, else the
        /// fallback (C's `#if`, its `#elif`s, `#else`): the float kernel's
        /// vector path beside its portable one, or the int8 kernel's vector
        /// and DSP paths beside its plain one.
        case guarded([TargetPath], fallback: GuardedCode)

        /// The float kernel's guard, the one-path case: the vector path's
        /// routines where `target` holds, the portable C99 path's elsewhere.
        static func guarded(_ target: VectorGuard, vector: [Routine], portable: [Routine]) -> Section {
            .guarded([TargetPath(target: target, code: GuardedCode(routines: vector))], fallback: GuardedCode(routines: portable))
        }
    }

    /// What one side of a target guard compiles, in print order: a path
    /// declares the headers of its intrinsics and the tables in its own
    /// layout only where the compiler takes it.
    struct GuardedCode {
        var includes: [String] = []
        var tables: [Statement] = []
        var routines: [Routine]
    }

    /// A path of a target guard: its code, where `target` holds.
    struct TargetPath {
        var target: VectorGuard
        var code: GuardedCode
        /// The int8 vector helpers the path's routines call, printed after
        /// its tables; each target spells them its own way (`VectorGuard.int8Helper`).
        var vectorHelpers: [Int8VectorHelper] = []
    }

    /// The `loops` kernel's weight tables, where it has its own (a window
    /// kernel borrows the batch kernel's; `full` writes weights as literals);
    /// an int8 kernel's tables outside its guard.
    let weightTables: [Statement]
    /// The epilogue's tables: its affine steps' scales and shifts.
    let epilogueTables: [Statement]
    /// The activation helpers (`act`, `epilogue<i>_act`).
    let helpers: [ActivationHelper]
    /// The routines in print order, up to and including the item.
    let sections: [Section]
    /// Bytes of the stack buffers the kernel's routines declare: the C header's stack bound.
    let stackBytes: Int
    /// The float portable path's weight loads C names for a Cortex-M
    /// (`CScalarLoads`): the counts of filters whose weights it loads
    /// together, and the depthwise steps it loads at once (none in an int8 kernel).
    let portableLoads: (weights: [Int], depthwiseSteps: Int)

    /// The module of `plan`'s float kernel in `language`.
    init(plan: LayerPlan, language: TargetLanguage) {
        let lowering = Lowering(plan: plan, language: language)
        let namer = Namer(plan, language)
        let strategy = plan.unroll[language]
        weightTables = strategy == .loops && plan.borrowedTables[language] == nil ? KernelLayout(plan: plan).weightTables(language) : []
        epilogueTables = lowering.epilogueTables
        helpers = lowering.activations.compactMap { $0.activation.helper(namer, base: $0.name) }
        sections = Self.sections(lowering, strategy)
        stackBytes = Self.stackBytes(sections, elementBytes: plan.format.bytes)
        portableLoads = (lowering.portableWeightLoads, lowering.portableDepthwiseLoads)
    }

    /// An int8 kernel's module: its tables and sections, as `QuantizedLowering` builds them.
    init(int8Tables tables: [Statement], sections: [Section]) {
        weightTables = tables
        epilogueTables = []
        helpers = []
        self.sections = sections
        stackBytes = Self.stackBytes(sections, elementBytes: NumericFormat.int8.bytes)
        portableLoads = ([], 0)
    }

    /// The bytes of the stack buffers of `sections`' routines at once: a
    /// section's routines may all be on the stack together (the item calls
    /// the stages and the epilogue's pass), while a guard's paths are
    /// alternatives, so each guard adds its largest path's.
    private static func stackBytes(_ sections: [Section], elementBytes: Int) -> Int {
        let bytes = { (routines: [Routine]) in routines.reduce(0) { $0 + Statement.scratchBytes($1.body, elementBytes: elementBytes) } }
        return sections.reduce(0) { total, section in
            switch section {
            case .routines(let routines): total + bytes(routines)
            case .guarded(let paths, let fallback): total + ((paths.map { bytes($0.code.routines) } + [bytes(fallback.routines)]).max() ?? 0)
            }
        }
    }

    /// The routines of `strategy`'s kernel, each lowered once: `full`'s
    /// straight-line item after the epilogue's routines; `loops`' vector
    /// stages, then (where the language chooses a path by target) the
    /// portable path beside them, and the store and the item. Where the
    /// portable path activates as it stores, each path has its finish and item.
    private static func sections(_ lowering: Lowering, _ strategy: UnrollStrategy) -> [Section] {
        let plan = lowering.plan, schedule = plan.schedule
        let finish = lowering.finish
        let epilogue = [finish, lowering.epiloguePass].compactMap { $0 }
        guard strategy == .loops else { return [.routines((plan.epilogue.isEmpty ? [] : epilogue) + [lowering.fullItem])] }
        let item = lowering.loopsItem
        let vector = (schedule.routines.contains(.depthwiseStep) ? [lowering.depthwiseStep] : []) + lowering.vectorStages
        guard lowering.options.choosesPaths else { return [.routines(vector + epilogue + [item])] }
        guard schedule.fusesActivation else {
            return [.guarded(schedule.vectorGuard, vector: vector, portable: lowering.portableRoutines), .routines(epilogue + [item])]
        }
        return [.guarded(schedule.vectorGuard, vector: vector + [finish].compactMap { $0 } + [item],
                         portable: lowering.portableRoutines + [lowering.portableItem])]
    }

    /// Whether a helper calls the C math library (C: `<math.h>`, the header's `-lm` note).
    var callsMath: Bool { helpers.contains(where: \.callsMath) }
}
