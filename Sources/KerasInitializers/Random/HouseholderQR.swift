/// The orthonormal factor of a thin QR decomposition, by Householder
/// reflections in double precision.
enum HouseholderQR {
    /// Q of A = QR for a rows × columns matrix (rows ≥ columns, C order),
    /// its columns signed so that R's diagonal is positive — the unique
    /// factor Keras's `Orthogonal` keeps after `q *= sign(diag(r))`. A
    /// column whose R diagonal entry is exactly zero is zero, as there.
    /// - Returns: Q, rows × columns, in C order.
    static func orthonormalFactor(_ a: [Double], rows: Int, columns: Int) -> [Double] {
        // Work column by column: column j is work[j * rows ..< (j + 1) * rows].
        var work = [Double](repeating: 0, count: rows * columns)
        for row in 0..<rows {
            for column in 0..<columns { work[column * rows + row] = a[row * columns + column] }
        }
        // Reflector k is I − 2vvᵀ with v (unit) stored over rows k..<rows of column k of `vectors`.
        var vectors = [Double](repeating: 0, count: rows * columns)
        var diagonal = [Double](repeating: 0, count: columns)
        var hasReflector = [Bool](repeating: false, count: columns)
        work.withUnsafeMutableBufferPointer { work in
            vectors.withUnsafeMutableBufferPointer { vectors in
                for k in 0..<columns {
                    let base = k * rows
                    let norm = euclideanNorm(UnsafeBufferPointer(work), from: base + k, to: base + rows)
                    if norm == 0 { continue }
                    // Reflect onto −sign(x₀)·‖x‖ e₁ to avoid cancellation.
                    let alpha = work[base + k] >= 0 ? -norm : norm
                    for row in k..<rows { vectors[base + row] = work[base + row] }
                    vectors[base + k] -= alpha
                    let vNorm = euclideanNorm(UnsafeBufferPointer(vectors), from: base + k, to: base + rows)
                    for row in k..<rows { vectors[base + row] /= vNorm }
                    for column in k..<columns {
                        reflect(work, column * rows, by: UnsafeBufferPointer(vectors), base, from: k, to: rows)
                    }
                    diagonal[k] = alpha
                    hasReflector[k] = true
                }
            }
        }
        // Q = H₀ H₁ … H_{n−1} applied to the first `columns` columns of the identity.
        var q = [Double](repeating: 0, count: rows * columns)
        for index in 0..<columns { q[index * rows + index] = 1 }
        q.withUnsafeMutableBufferPointer { q in
            vectors.withUnsafeBufferPointer { vectors in
                for k in stride(from: columns - 1, through: 0, by: -1) where hasReflector[k] {
                    // Columns before k are still e_j there, untouched by this reflector.
                    for column in k..<columns {
                        reflect(q, column * rows, by: vectors, k * rows, from: k, to: rows)
                    }
                }
            }
        }
        var result = [Double](repeating: 0, count: rows * columns)
        for column in 0..<columns {
            let sign: Double = diagonal[column] > 0 ? 1 : (diagonal[column] < 0 ? -1 : 0)
            for row in 0..<rows { result[row * columns + column] = sign * q[column * rows + row] }
        }
        return result
    }

    /// x ← x − 2(v·x)v over rows `start..<end`, for x at `xBase` and v at `vBase`.
    private static func reflect(_ x: UnsafeMutableBufferPointer<Double>, _ xBase: Int,
                                by v: UnsafeBufferPointer<Double>, _ vBase: Int, from start: Int, to end: Int) {
        var dot = 0.0
        for row in start..<end { dot += v[vBase + row] * x[xBase + row] }
        if dot == 0 { return }
        let factor = 2 * dot
        for row in start..<end { x[xBase + row] -= factor * v[vBase + row] }
    }

    /// ‖x[start..<end]‖₂, scaled so that no square overflows or underflows.
    private static func euclideanNorm(_ x: UnsafeBufferPointer<Double>, from start: Int, to end: Int) -> Double {
        var scale = 0.0
        for index in start..<end { scale = max(scale, abs(x[index])) }
        if scale == 0 || !scale.isFinite { return scale }
        var sum = 0.0
        for index in start..<end {
            let scaled = x[index] / scale
            sum += scaled * scaled
        }
        return scale * sum.squareRoot()
    }
}
