import Foundation
import Testing
@testable import SepconvGen

/// The names an output file says it declares (`OutputFile.declares`, which
/// `generate` uses to refuse two specs whose outputs would clash) are exactly
/// the names its text declares: read back here from the emitted header, the
/// one place that parses generated text.
@Suite struct DeclaredNamesTests {
    /// Every identifier of a C header that a file including it sees as the
    /// layer's: `name`, `name_...`, and the include guard.
    static func headerNames(_ header: String, name: String) -> Set<String> {
        let code = header.replacing(#/\/\*[\s\S]*?\*\/|\/\/[^\n]*/#, with: " ")
        var names = Set<String>()
        if let guardName = code.firstMatch(of: #/#ifndef\s+(\w+)/#)?.1 { names.insert(String(guardName)) }
        for match in code.matches(of: #/[A-Za-z_]\w*/#) where match.0 == name || match.0.hasPrefix(name + "_") {
            names.insert(String(match.0))
        }
        return names
    }

    /// The Swift file's public top-level types.
    static func swiftTypes(_ source: String) -> Set<String> {
        Set(source.matches(of: #/\npublic (?:enum|struct|final class) (\w+)/#).map { String($0.1) })
    }

    static func check(_ files: [OutputFile], name: String) {
        for file in files {
            let declared = Set(file.declares.map(\.name))
            if file.name.hasSuffix(".h") {
                #expect(declared == Self.headerNames(file.contents, name: name), "\(file.name)")
                #expect(file.declares.contains(DeclaredName(CEmitter.guardName(name), .includeGuard)), "\(file.name)")
            } else if file.name.hasSuffix(".swift") {
                #expect(declared == Self.swiftTypes(file.contents), "\(file.name)")
            } else {
                #expect(declared.isEmpty, "\(file.name): a C source declares nothing its header does not")
            }
        }
    }

    @Test(arguments: GoldenTests.specs, [false, true])
    func layerFilesDeclareWhatTheyPrint(_ specName: String, streaming: Bool) throws {
        let path = Fixtures.repository.appendingPathComponent("Specs").appendingPathComponent(specName).path
        var text = try String(contentsOfFile: path, encoding: .utf8)
        if streaming { text += "\nstreaming: true\n" }
        let compiled = try SpecCompiler().compile(file: path, contents: Array(text.utf8))
        #expect((compiled.plan.stream != nil) == streaming)
        Self.check(Generator.files(for: compiled.plan, languages: TargetLanguage.allCases), name: compiled.plan.name)
    }

    @Test func int8FilesDeclareWhatTheyPrint() {
        for (index, layer) in Int8Layers.make(count: 4, seed: 3, streaming: true).enumerated() {
            let plan = layer.plan(.loops, name: "q\(index)")
            Self.check(Generator.files(for: plan, languages: TargetLanguage.allCases), name: plan.name)
        }
    }

    @Test(arguments: [NetworkTests.spec("kws.keras"), NetworkTests.spec("kws.keras", last: "relu3") + "streaming: true\n",
                      NetworkTests.spec("ecg.keras", last: "stem") + "streaming: true\n"])
    func networkFilesDeclareWhatTheyPrint(_ spec: String) throws {
        let compiled = try NetworkTests.compile(spec)
        Self.check(try NetworkGenerator.files(for: compiled, languages: TargetLanguage.allCases), name: compiled.plan.name)
    }
}
