import ArgumentParser
import SepconvGen

/// `sepconv-gen`: compiles a Keras SeparableConv1D spec to C and Swift.
@main
struct SepconvGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sepconv-gen",
        abstract: "Compile a Keras 3 SeparableConv1D spec into specialised C and Swift.",
        version: ToolVersion.current,
        subcommands: [GenerateCommand.self, RunCommand.self, ExplainCommand.self, ImportCommand.self],
        defaultSubcommand: GenerateCommand.self
    )
}
