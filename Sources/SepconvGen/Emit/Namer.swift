/// The one place emitted names and type spellings come from. Routines and
/// tables have a base name in snake case (`finish`, `depthwise_step`); C
/// prefixes it with the layer's name (`kws_finish`), Swift camel-cases it
/// inside the layer's enum (`finish`, `depthwiseStep`), the batch item being
/// `forwardItem` and a tile's pointwise stage `pointwiseStage<rows>` (its
/// microkernels are `pointwise<rows>x<vectors>`).
struct Namer {
    let layer: String
    let language: TargetLanguage
    let format: NumericFormat
    /// The layer whose weight tables the kernel reads (`LayerPlan.tablesName`).
    var tables: String

    init(layer: String, language: TargetLanguage, format: NumericFormat, tables: String? = nil) {
        self.layer = layer
        self.language = language
        self.format = format
        self.tables = tables ?? layer
    }

    /// The namer of `plan`'s kernel in `language`.
    init(_ plan: LayerPlan, _ language: TargetLanguage) {
        self.init(layer: plan.name, language: language, format: plan.format, tables: plan.tablesName(language))
    }

    /// The weight table `base`: the layer's own, or the batch kernel's that
    /// a window kernel borrows (C `batch_base`, Swift `Batch.base` from the
    /// window kernel's enum inside the batch kernel's).
    func table(_ base: String) -> String {
        let own = Namer(layer: tables, language: language, format: format).symbol(base)
        return language == .swift && tables != layer ? Identifier.swiftTypeName(tables) + "." + own : own
    }

    /// The symbol for `base`.
    func symbol(_ base: String) -> String {
        switch language {
        case .c: return layer + "_" + base
        case .swift:
            if base == Routine.itemName { return "forwardItem" }
            var parts = base.split(separator: "_")
            if parts.count == 2, parts[0] == "pointwise", parts[1].allSatisfy(\.isNumber) { parts.insert("stage", at: 1) }
            return parts.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
        }
    }

    /// The element type: `float`/`double`/`int8_t`, `Float`/`Double`/`Int8`.
    var element: String { format.spelling(language) }

    /// The Swift type of the layer (`kws_block1` → `KwsBlock1`).
    var typeName: String { Identifier.swiftTypeName(layer) }

    /// An exact literal of the element type.
    func literal(_ value: Double) -> String {
        format.literal(value, language)
    }
}
