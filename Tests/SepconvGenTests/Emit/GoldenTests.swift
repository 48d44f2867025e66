import Foundation
import Testing
@testable import SepconvGen

/// The emitted sources of every spec in `Specs/`, compared byte for byte
/// with the files under `Tests/SepconvGenTests/Golden/<spec>/`.
///
/// To re-record after an intended change, run
/// `SEPCONV_RECORD_GOLDEN=1 swift test --filter GoldenTests` and review the diff.
@Suite struct GoldenTests {
    static let golden = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Golden")
    static let recording = ProcessInfo.processInfo.environment["SEPCONV_RECORD_GOLDEN"] == "1"

    static let specs: [String] = {
        let folder = Fixtures.repository.appendingPathComponent("Specs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    @Test func everyShippedSpecHasGoldenFiles() {
        #expect(Self.specs.count >= 6)
    }

    @Test(arguments: specs)
    func emittedSourcesMatchGoldenFiles(_ specName: String) throws {
        let path = Fixtures.repository.appendingPathComponent("Specs").appendingPathComponent(specName).path
        let compiled = try SpecCompiler().compile(file: path)
        let folder = Self.golden.appendingPathComponent(compiled.plan.name)
        for file in Generator.files(for: compiled.plan, languages: TargetLanguage.allCases) {
            let url = folder.appendingPathComponent(file.name)
            if Self.recording {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: url)
                continue
            }
            let expected = try String(contentsOf: url, encoding: .utf8)
            #expect(file.contents == expected, "\(file.name) differs from its golden file:\n\(Self.diff(expected, file.contents))\nRe-record with SEPCONV_RECORD_GOLDEN=1 if the change is intended.")
        }
    }

    /// The first differing lines, as a short unified-style excerpt.
    static func diff(_ expected: String, _ actual: String) -> String {
        let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let new = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var lines: [String] = []
        for index in 0..<max(old.count, new.count) where lines.count < 20 {
            let a = index < old.count ? String(old[index]) : nil
            let b = index < new.count ? String(new[index]) : nil
            if a != b {
                lines.append("@@ line \(index + 1)")
                if let a { lines.append("- " + a) }
                if let b { lines.append("+ " + b) }
            }
        }
        return lines.joined(separator: "\n")
    }
}
