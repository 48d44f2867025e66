/// What the lowering gives one language's printer for a float layer, built
/// once: the constant tables, the activation helpers and the routines in
/// print order (the routines in sections, a target guard's two paths in
/// one), and what the files' headers state about the kernel, read from what
/// it holds rather than predicted: the bytes of its stack buffers and
/// whether it calls the C math library. The printer spells the guards and
/// each language's prelude of vector types.
struct KernelModule {
    /// A run of routines in print order, or the two paths a target guard chooses between.
    enum Section {
        /// Routines every target compiles.
        case routines([Routine])
        /// The vector path's routines where `guard` holds, the portable C99 path's elsewhere.
        case guarded(VectorGuard, vector: [Routine], portable: [Routine])
    }

    /// The routines' lowering.
    let lowering: Lowering
    /// The `loops` kernel's weight tables, where it has its own (a window
    /// kernel borrows the batch kernel's; `full` writes weights as literals).
    let weightTables: [Statement]
    /// The epilogue's tables: its affine steps' scales and shifts.
    let epilogueTables: [Statement]
    /// The activation helpers (`act`, `epilogue<i>_act`), each as the language's source.
    let helpers: [ActivationCode]
    /// The routines in print order, up to and including the item.
    let sections: [Section]
    /// Bytes of the stack buffers the kernel's routines declare: the C header's stack bound.
    let stackBytes: Int

    /// The module of `plan`'s float kernel in `language`.
    init(plan: LayerPlan, language: TargetLanguage) {
        let lowering = Lowering(plan: plan, language: language)
        let namer = Namer(plan, language)
        let strategy = plan.unroll[language]
        self.lowering = lowering
        weightTables = strategy == .loops && plan.borrowedTables[language] == nil ? KernelLayout(plan: plan).weightTables(language) : []
        epilogueTables = lowering.epilogueTables
        helpers = lowering.activations.map { $0.activation.code(namer, base: $0.name) }
        // Each routine is lowered once: the sections and the stack bound read the same values.
        let routines = Routines(finish: lowering.finish, pass: lowering.epiloguePass,
                                items: strategy == .full ? [lowering.fullItem] : [lowering.loopsItem, lowering.portableItem])
        let bytes = plan.format.bytes
        stackBytes = (routines.items.map { Statement.scratchBytes($0.body, elementBytes: bytes) }.max() ?? 0)
            + (routines.pass.map { Statement.scratchBytes($0.body, elementBytes: bytes) } ?? 0)
        sections = Self.sections(lowering, strategy, routines)
    }

    /// The routines the sections and the stack bound share: the store, the
    /// epilogue's pass over the item, and the items (`full`'s; `loops`' vector
    /// and portable ones). The bound is the largest item's buffers plus,
    /// called from it, the pass's.
    private struct Routines {
        var finish: Routine?
        var pass: Routine?
        var items: [Routine]
    }

    /// The routines of `strategy`'s kernel: `full`'s straight-line item after
    /// the epilogue's routines; `loops`' vector stages, then (where the
    /// language chooses a path by target) the portable path beside them, and
    /// the store and the item. Where the portable path activates as it
    /// stores, each path has its finish and item.
    private static func sections(_ lowering: Lowering, _ strategy: UnrollStrategy, _ routines: Routines) -> [Section] {
        let plan = lowering.plan, schedule = plan.schedule
        let epilogue = [routines.finish, routines.pass].compactMap { $0 }
        guard strategy == .loops else { return [.routines((plan.epilogue.isEmpty ? [] : epilogue) + routines.items)] }
        let (item, portableItem) = (routines.items[0], routines.items[1])
        let vector = (schedule.routines.contains(.depthwiseStep) ? [lowering.depthwiseStep] : []) + lowering.vectorStages
        guard lowering.options.choosesPaths else { return [.routines(vector + epilogue + [item])] }
        guard schedule.fusesActivation else {
            return [.guarded(schedule.vectorGuard, vector: vector, portable: lowering.portableRoutines), .routines(epilogue + [item])]
        }
        return [.guarded(schedule.vectorGuard, vector: vector + [routines.finish].compactMap { $0 } + [item],
                         portable: lowering.portableRoutines + [portableItem])]
    }

    /// Whether a helper calls the C math library (C: `<math.h>`, the header's `-lm` note).
    var callsMath: Bool { helpers.contains(where: \.callsMath) }
}
