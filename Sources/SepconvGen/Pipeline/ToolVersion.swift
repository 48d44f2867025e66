/// The version of sepconv-gen, as `sepconv-gen --version` prints it.
///
/// The one place it is set; bump it with every release that changes the
/// spec format, the command line or the emitted code.
public enum ToolVersion {
    /// The release, `MAJOR.MINOR.PATCH`.
    public static let current = "0.1.0"
}
