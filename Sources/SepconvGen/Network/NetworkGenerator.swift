/// The back of the pipeline for networks: a network plan to its output files.
public enum NetworkGenerator {
    /// `N.h` and `N.c` for C, `N.swift` for Swift.
    /// - Throws: `DiagnosticError` at the spec's `network` key when a step cannot be emitted.
    public static func files(for compiled: NetworkCompiler.Compiled, languages: [TargetLanguage]) throws(DiagnosticError) -> [OutputFile] {
        let plan = compiled.plan
        var files: [OutputFile] = []
        for language in languages {
            do throws(NetworkCEmitter.Refusal) {
                switch language {
                case .c:
                    let (header, source) = try NetworkCEmitter.emit(plan)
                    files += [OutputFile(name: "\(plan.name).h", contents: header, declares: NetworkCEmitter.declaredNames(plan)),
                              OutputFile(name: "\(plan.name).c", contents: source)]
                case .swift:
                    files.append(OutputFile(name: "\(plan.name).swift", contents: try NetworkSwiftEmitter.emit(plan),
                                            declares: [DeclaredName(Identifier.swiftTypeName(plan.name), .swiftType)]))
                }
            } catch {
                throw DiagnosticError([Diagnostic(.error, error.message, file: compiled.file, at: compiled.mark)])
            }
        }
        return files
    }
}
