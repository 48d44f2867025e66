extension Templates {
    /// The streaming API's declarations in `N.h` (`streaming: true`).
    public static var streamHeader: String { String(decoding: PackageResources.stream_h_h_template, as: UTF8.self) }
    /// The stream state's `typedef` in `N.h` (a network's header holds each layer's).
    public static var streamState: String { String(decoding: PackageResources.stream_state_h_template, as: UTF8.self) }
    /// The streaming API's functions at the end of `N.c`.
    public static var streamCSource: String { String(decoding: PackageResources.stream_c_c_template, as: UTF8.self) }
    /// The nested `Stream` type at the end of the layer's enum in `N.swift`.
    public static var streamSwiftSource: String { String(decoding: PackageResources.stream_swift_swift_template, as: UTF8.self) }
}
