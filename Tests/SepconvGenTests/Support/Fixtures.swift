import Foundation
@testable import SepconvGen

/// Paths to the committed test data, found beside this source file so the
/// tests need no bundle resources.
enum Fixtures {
    /// `Tests/SepconvGenTests/Fixtures`.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// The repository's top folder.
    static let repository = root.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A fixture file's URL from a path relative to `Fixtures/`.
    static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// Reads an `.npy` fixture.
    static func npy(_ relativePath: String) throws -> (tensor: Tensor, type: NPY.ElementType) {
        let data = try Data(contentsOf: url(relativePath))
        return try NPY.read([UInt8](data))
    }
}
