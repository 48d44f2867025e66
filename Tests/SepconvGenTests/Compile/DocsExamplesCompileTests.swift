import Testing

/// The documentation's shell examples that compile what the tool emitted
/// (`cc`, `swiftc`, `make`): each runs as `DocsExamplesTests` runs the others.
@Suite struct DocsExamplesCompileTests {
    @Test(arguments: DocsExamplesTests.compilingShellExamples)
    func shellExampleRunsAsDocumented(_ example: DocsExamplesTests.Example) throws {
        try DocsExamplesTests.runShellExample(example)
    }
}
