/// The window functions `scipy.signal.get_window(name, length, fftbins)`
/// builds from a bare name (the ones that need no parameters, with their
/// default parameters where they take optional ones), in float64.
enum SciPyWindow {
    /// The windows and their aliases, as SciPy names them.
    private static let aliases: [String: String] = {
        var table = [String: String]()
        let groups: [[String]] = [
            ["barthann", "brthan", "bth"], ["bartlett", "bart", "brt"], ["blackman", "black", "blk"],
            ["blackmanharris", "blackharr", "bkh"], ["bohman", "bman", "bmn"],
            ["boxcar", "box", "ones", "rect", "rectangular"], ["cosine", "halfcosine"],
            ["exponential", "poisson"], ["flattop", "flat", "flt"], ["hamming", "hamm", "ham"],
            ["hann", "han"], ["lanczos", "sinc"], ["nuttall", "nutl", "nut"], ["parzen", "parz", "par"],
            ["taylor", "taylorwin"], ["triangle", "triang", "tri"], ["tukey", "tuk"],
        ]
        for group in groups {
            for name in group { table[name] = group[0] }
        }
        return table
    }()

    /// SciPy windows that exist but cannot be built from a name alone.
    private static let needParameters: Set<String> = [
        "chebwin", "cheb", "dpss", "gaussian", "gauss", "gss", "general cosine", "general_cosine",
        "general gaussian", "general_gaussian", "general gauss", "general_gauss", "ggs",
        "general hamming", "general_hamming", "kaiser", "ksr", "kaiser bessel derived",
        "kaiser_bessel_derived", "kbd",
    ]

    /// Why a window name is refused, in SciPy's words, or nil if it is accepted.
    static func problem(with window: String) -> String? {
        var name = window
        if name.hasSuffix("_symmetric") {
            name.removeLast("_symmetric".count)
        } else if name.hasSuffix("_periodic") {
            name.removeLast("_periodic".count)
        }
        if aliases[name] != nil { return nil }
        if needParameters.contains(name) {
            return "the '\(name)' window must have parameters, which a window name alone cannot give"
        }
        return "'\(window)' is not a window scipy.signal.get_window knows"
    }

    /// `scipy.signal.get_window(window, length, fftbins: periodic)`, or nil
    /// for a name `problem(with:)` refuses.
    static func values(_ window: String, length: Int, periodic: Bool) -> [Double]? {
        var symmetric = !periodic
        var name = window
        if name.hasSuffix("_symmetric") {
            name.removeLast("_symmetric".count)
            symmetric = true
        } else if name.hasSuffix("_periodic") {
            name.removeLast("_periodic".count)
            symmetric = false
        }
        guard let canonical = aliases[name] else { return nil }
        if length <= 1 { return [Double](repeating: 1, count: max(length, 0)) }
        // A periodic window is the symmetric one a sample longer, truncated.
        let m = symmetric ? length : length + 1
        let full = symmetricWindow(canonical, m)
        return Array(full.prefix(length))
    }

    private static func symmetricWindow(_ name: String, _ m: Int) -> [Double] {
        let pi = Double.pi
        let mDouble = Double(m)
        switch name {
        case "boxcar":
            return [Double](repeating: 1, count: m)
        case "triangle":
            let n = (1...((m + 1) / 2)).map(Double.init)
            if m % 2 == 0 {
                let half = n.map { (2 * $0 - 1) / mDouble }
                return half + half.reversed()
            }
            let half = n.map { 2 * $0 / (mDouble + 1) }
            return half + half.dropLast().reversed()
        case "parzen":
            let start = -(mDouble - 1) / 2
            return (0..<m).map { index in
                let n = abs(start + Double(index))
                let ratio = n / (mDouble / 2)
                if n <= (mDouble - 1) / 4 {
                    return 1 - 6 * power(ratio, 2) + 6 * power(ratio, 3)
                }
                return 2 * power(1 - ratio, 3)
            }
        case "bohman":
            let grid = linspace(-1, 1, m)
            let inner = grid[1..<(m - 1)].map { value -> Double in
                let fac = abs(value)
                return (1 - fac) * ReferenceMath.cos(pi * fac) + 1 / pi * ReferenceMath.sin(pi * fac)
            }
            return [0] + inner + [0]
        case "blackman":
            return generalCosine(m, [0.42, 0.50, 0.08])
        case "nuttall":
            return generalCosine(m, [0.3635819, 0.4891775, 0.1365995, 0.0106411])
        case "blackmanharris":
            return generalCosine(m, [0.35875, 0.48829, 0.14128, 0.01168])
        case "flattop":
            return generalCosine(m, [0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368])
        case "bartlett":
            return (0..<m).map { index in
                let n = Double(index)
                return n <= (mDouble - 1) / 2 ? 2 * n / (mDouble - 1) : 2 - 2 * n / (mDouble - 1)
            }
        case "hann":
            return generalCosine(m, [0.5, 1 - 0.5])
        case "hamming":
            return generalCosine(m, [0.54, 1 - 0.54])
        case "tukey":
            return tukey(m, alpha: 0.5)
        case "barthann":
            return (0..<m).map { index in
                let fac = abs(Double(index) / (mDouble - 1) - 0.5)
                return 0.62 - 0.48 * fac + 0.38 * ReferenceMath.cos(2 * pi * fac)
            }
        case "cosine":
            return (0..<m).map { ReferenceMath.sin(pi / mDouble * (Double($0) + 0.5)) }
        case "exponential":
            let center = (mDouble - 1) / 2
            return (0..<m).map { ReferenceMath.exp(-abs(Double($0) - center) / 1) }
        case "taylor":
            return taylor(m)
        case "lanczos":
            return lanczos(m)
        default:
            return [Double](repeating: 1, count: m)
        }
    }

    /// NumPy's `linspace(start, stop, count)`: start + i·step, the last exactly `stop`.
    private static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        let step = (stop - start) / Double(count - 1)
        var values = (0..<count).map { Double($0) * step + start }
        values[count - 1] = stop
        return values
    }

    private static func generalCosine(_ m: Int, _ a: [Double]) -> [Double] {
        let fac = linspace(-Double.pi, Double.pi, m)
        var w = [Double](repeating: 0, count: m)
        for (k, coefficient) in a.enumerated() {
            for index in 0..<m {
                w[index] += coefficient * ReferenceMath.cos(Double(k) * fac[index])
            }
        }
        return w
    }

    private static func tukey(_ m: Int, alpha: Double) -> [Double] {
        let mDouble = Double(m)
        let width = Int((alpha * (mDouble - 1) / 2).rounded(.down))
        return (0..<m).map { index in
            let n = Double(index)
            if index <= width {
                return 0.5 * (1 + ReferenceMath.cos(Double.pi * (-1 + 2.0 * n / alpha / (mDouble - 1))))
            }
            if index >= m - width - 1 {
                return 0.5 * (1 + ReferenceMath.cos(Double.pi * (-2.0 / alpha + 1 + 2.0 * n / alpha / (mDouble - 1))))
            }
            return 1
        }
    }

    /// SciPy's Taylor window with its defaults: nbar 4, 30 dB sidelobes, normalised.
    private static func taylor(_ m: Int) -> [Double] {
        let nbar = 4
        let b = 31.622776601683793  // 10 ** (30 / 20)
        let a = ReferenceMath.acosh(b) / Double.pi
        let s2 = Double(nbar * nbar) / (a * a + power(Double(nbar) - 0.5, 2))
        let ma = (1..<nbar).map(Double.init)
        let m2 = ma.map { $0 * $0 }
        var fm = [Double]()
        for (mi, _) in ma.enumerated() {
            let sign: Double = mi % 2 == 0 ? 1 : -1
            var numerProduct = 1.0
            for value in ma { numerProduct *= 1 - m2[mi] / s2 / (a * a + (value - 0.5) * (value - 0.5)) }
            var before = 1.0
            for j in 0..<mi { before *= 1 - m2[mi] / m2[j] }
            var after = 1.0
            for j in (mi + 1)..<ma.count { after *= 1 - m2[mi] / m2[j] }
            fm.append(sign * numerProduct / (2 * before * after))
        }
        let mDouble = Double(m)
        func w(_ n: Double) -> Double {
            var sum = 0.0
            for (index, value) in ma.enumerated() {
                sum += fm[index] * ReferenceMath.cos(2 * Double.pi * value * (n - mDouble / 2 + 0.5) / mDouble)
            }
            return 1 + 2 * sum
        }
        let scale = 1.0 / w((mDouble - 1) / 2)
        return (0..<m).map { w(Double($0)) * scale }
    }

    private static func lanczos(_ m: Int) -> [Double] {
        let mDouble = Double(m)
        func sinc(_ x: Double) -> Double {
            let y = Double.pi * (x == 0 ? Double.ulpOfOne : x)
            return ReferenceMath.sin(y) / y
        }
        func rightSide(from start: Int) -> [Double] {
            (start..<m).map { sinc(2.0 * Double($0) / (mDouble - 1) - 1.0) }
        }
        if m % 2 == 0 {
            let half = rightSide(from: m / 2)
            return half.reversed() + half
        }
        let half = rightSide(from: (m + 1) / 2)
        return half.reversed() + [1] + half
    }

    /// x^n for a small positive integer n, as repeated multiplication.
    private static func power(_ x: Double, _ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<n { result *= x }
        return result
    }
}
