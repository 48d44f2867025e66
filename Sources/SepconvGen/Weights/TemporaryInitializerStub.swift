// TEMPORARY: removed when InitializerSampling.swift lands.
extension Initializer {
    public func sample(shape: [Int], dtype: DType, defaultSeed: Int) throws(InitializerError) -> [Double] {
        throw InitializerError(message: "not yet")
    }
}
public struct InitializerError: Error, Hashable, Sendable { public var message: String }
