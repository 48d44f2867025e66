extension FusedChain.BatchNorm {
    /// `weights` with this BatchNormalization folded into the pointwise kernel
    /// and bias (valid when the layer's activation is linear): per filter f,
    /// `pointwise[., f] * scale[f]` and `bias[f] * scale[f] + shift[f]`
    /// (a layer without a bias gains one). Values rounded to `dtype`.
    public func folded(into weights: LayerWeights, dtype: DType) -> LayerWeights {
        let round = dtype.format.round
        let (scale, shift) = affine(dtype)
        let filters = scale.count
        var pointwise = weights.pointwiseKernel
        for index in pointwise.scalars.indices {
            pointwise.scalars[index] = round(pointwise.scalars[index] * scale[index % filters])
        }
        let bias = (0..<filters).map { filter in
            round((weights.bias?.scalars[filter] ?? 0) * scale[filter] + shift[filter])
        }
        return LayerWeights(depthwiseKernel: weights.depthwiseKernel, pointwiseKernel: pointwise,
                            bias: Tensor(shape: [filters], scalars: bias))
    }
}
