/// One emitted file, in memory: the CLI decides whether and how to write it.
public struct OutputFile: Hashable, Sendable {
    /// The file name, without a folder (`kws_block1.c`).
    public var name: String
    /// The file's exact contents.
    public var contents: String
    /// The names the file declares to code that includes or imports it (the
    /// file name aside), as the emitter printed them.
    public var declares: [DeclaredName]

    /// Creates an output file.
    public init(name: String, contents: String, declares: [DeclaredName] = []) {
        self.name = name
        self.contents = contents
        self.declares = declares
    }
}

/// A name an emitted file declares: two outputs of one folder must not share one.
public struct DeclaredName: Hashable, Sendable {
    /// What kind of name it is.
    public enum Kind: String, Hashable, Sendable {
        case includeGuard = "include guard"
        case cName = "C name"
        case swiftType = "Swift type"
    }

    /// The name.
    public var name: String
    /// Its kind, as messages print it.
    public var kind: Kind

    /// Creates a declared name.
    public init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// Which languages to emit.
public enum LanguageSelection: String, CaseIterable, Hashable, Sendable {
    case c, swift, all

    /// The languages selected, in a fixed order.
    public var languages: [TargetLanguage] {
        switch self {
        case .c: [.c]
        case .swift: [.swift]
        case .all: [.c, .swift]
        }
    }
}

/// The back of the pipeline: a plan to its output files.
public enum Generator {
    /// The files for `plan` in each of `languages`: `N.h` and `N.c`, `N.swift`.
    public static func files(for plan: LayerPlan, languages: [TargetLanguage]) -> [OutputFile] {
        languages.flatMap { language -> [OutputFile] in
            switch language {
            case .c:
                let emitted = CEmitter.emit(plan)
                return [OutputFile(name: "\(plan.name).h", contents: emitted.header, declares: CEmitter.declaredNames(plan)),
                        OutputFile(name: "\(plan.name).c", contents: emitted.source)]
            case .swift:
                return [OutputFile(name: "\(plan.name).swift", contents: SwiftEmitter.emit(plan),
                                   declares: [DeclaredName(Identifier.swiftTypeName(plan.name), .swiftType)])]
            }
        }
    }
}
