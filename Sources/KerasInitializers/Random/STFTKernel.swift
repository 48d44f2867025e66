/// The kernel `keras.initializers.STFT` computes for a shape
/// (frame_length, 1, fft_length), step for step in Keras's precision.
enum STFTKernel {
    /// The kernel in C order for `frames` × 1 × `bins`, rounded to float32
    /// after every operation when `single` is set; nil for an unknown window.
    ///
    /// Keras's `ops.arccos` and `ops.cos`/`ops.sin` work in float32 even for
    /// a float64 kernel (its JAX type promotion caps at 32 bits), so π and
    /// the cosines are float32 values in both precisions.
    static func values(_ config: Initializer.STFT, frames: Int, bins: Int, single: Bool) -> [Double]? {
        func round(_ value: Double) -> Double { single ? Double(Float(value)) : value }

        var window: [Double]?
        var scaling = 1.0
        if let name = config.window {
            guard let raw = SciPyWindow.values(name, length: frames, periodic: config.periodic) else { return nil }
            let win = raw.map(round)
            switch config.scaling {
            case .density?:
                var sum = 0.0
                for value in win { sum = round(sum + round(value * value)) }
                scaling = round(sum.squareRoot())
            case .spectrum?:
                var sum = 0.0
                for value in win { sum = round(sum + abs(value)) }
                scaling = sum
            case nil:
                break
            }
            window = win
        }

        let pi = Double(Float(bitPattern: 0x4049_0FDB))  // float32 arccos(-1), π rounded to nearest
        let fftLength = round(Double((bins - 1) * 2))
        var kernel = [Double]()
        kernel.reserveCapacity(frames * bins)
        for t in 0..<frames {
            let time = round(-2 * Double(t))
            for k in 0..<bins {
                let frequency = round(Double(k) / fftLength)
                let argument = Float(round(round(time * frequency) * pi))
                let wave = Double(argument)
                let trig = config.side == .real ? ReferenceMath.cos(wave) : ReferenceMath.sin(wave)
                var value = Double(Float(trig))
                if let window {
                    value = round(round(value * window[t]) / scaling)
                }
                kernel.append(value)
            }
        }
        return kernel
    }
}
