/// What the lowering gives one language's printer for a float layer, built
/// once: the constant tables and the activation helpers in print order, and
/// what the files' headers state about the kernel, read from what it holds
/// rather than predicted: the bytes of its stack buffers and whether it
/// calls the C math library. Its routines are the lowering's (`fullItem`,
/// `vectorStages`, `portableRoutines`, ...), which the printer places under
/// the target guards it spells.
struct KernelModule {
    /// The routines' lowering.
    let lowering: Lowering
    /// The `loops` kernel's weight tables, where it has its own (a window
    /// kernel borrows the batch kernel's; `full` writes weights as literals).
    let weightTables: [Statement]
    /// The epilogue's tables: its affine steps' scales and shifts.
    let epilogueTables: [Statement]
    /// The activation helpers (`act`, `epilogue<i>_act`), each as the language's source.
    let helpers: [ActivationCode]
    /// Bytes of the stack buffers the kernel's routines declare (`Lowering.stackBytes`).
    let stackBytes: Int

    /// The module of `plan`'s float kernel in `language`.
    init(plan: LayerPlan, language: TargetLanguage) {
        let lowering = Lowering(plan: plan, language: language)
        let namer = Namer(plan, language)
        let strategy = plan.unroll[language]
        self.lowering = lowering
        weightTables = strategy == .loops && plan.borrowedTables[language] == nil ? KernelLayout(plan: plan).weightTables(language) : []
        epilogueTables = lowering.epilogueTables
        helpers = lowering.activations.map { $0.activation.code(language, dtype: plan.dtype, name: namer.symbol($0.name)) }
        stackBytes = lowering.stackBytes(strategy)
    }

    /// Whether a helper calls the C math library (C: `<math.h>`, the header's `-lm` note).
    var callsMath: Bool { helpers.contains(where: \.callsMath) }
}
