import KerasInitializers
extension LayerSpec {
    /// The note for a spec whose weights are drawn from its initializers
    /// (it gives none): which initializer fills each tensor, and with which
    /// seed, so that nobody takes them for trained weights.
    var drawnWeightsNote: Diagnostic {
        var drawn = [("depthwise_kernel", depthwiseInitializer), ("pointwise_kernel", pointwiseInitializer)]
        if useBias { drawn.append(("bias", biasInitializer)) }
        let list = drawn.map { "\($0.0) from \($0.1.specName)" }.joined(separator: ", ")
        let seeded = drawn.contains { $0.1.usesSpecSeed } ? " with seed \(seed)" : ""
        return Diagnostic(.note, "no 'weights' given: the weights are drawn from the initializers (\(list))\(seeded); they are not trained weights",
                          file: file, at: mark("layer"))
    }
}
