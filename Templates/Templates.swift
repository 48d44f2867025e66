/// The fixed skeletons of the emitted files, embedded in the binary so it
/// works when copied alone. Placeholders are `{{NAME}}`; the emitter fills them.
public enum Templates {
    /// `N.h`: guards, shape macros and the C declaration.
    public static var cHeader: String { String(decoding: PackageResources.c_header_h_template, as: UTF8.self) }
    /// `N.c`: includes, weights, helpers and the kernel.
    public static var cSource: String { String(decoding: PackageResources.c_source_c_template, as: UTF8.self) }
    /// `N.swift`: the public enum with its shape constants and entry points.
    public static var swiftSource: String { String(decoding: PackageResources.swift_source_swift_template, as: UTF8.self) }
}
