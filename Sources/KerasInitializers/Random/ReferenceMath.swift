/// Double-precision elementary functions written with the standard library
/// only, so that initializer values are the same on every platform.
///
/// Each is accurate to about one unit in the last place (the logarithm to
/// well under one); that is what the C libraries NumPy, SciPy and XLA call
/// give, so values built from these agree with theirs to a few ulps.
enum ReferenceMath {
    /// ln 2 split so that `k * ln2Hi` is exact for any binary exponent `k`.
    private static let ln2Hi = Double(bitPattern: 0x3FE6_2E42_FEE0_0000)
    private static let ln2Lo = Double(bitPattern: 0x3DEA_39EF_3579_3C76)
    /// π/2 in three pieces: 33 bits, 33 bits, and the rest.
    private static let piOver2A = Double(bitPattern: 0x3FF9_21FB_5440_0000)
    private static let piOver2B = Double(bitPattern: 0x3DD0_B461_1A60_0000)
    private static let piOver2C = Double(bitPattern: 0x3BA3_198A_2E03_7073)
    private static let twoOverPi = 0.6366197723675814

    /// The natural logarithm, within about 0.5 ulp (a double-double core).
    static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return x }
        var k = Double(Int(x.exponent))
        var m = x.significand  // [1, 2)
        if m > 1.4142135623730951 {
            m *= 0.5
            k += 1
        }
        let f = m - 1  // exact: m is within a factor 2 of 1
        let d = 2 + f
        let dLow = f - (d - 2)  // exact error of 2 + f
        let s = f / d
        let residual = f.addingProduct(-s, d) - s * dLow
        let sLow = residual / d
        let s2 = s * s
        // 2·atanh(s) = 2s + 2s³(1/3 + s²/5 + s⁴/7 + …); |s| ≤ 0.1716.
        var series = 0.0
        var term = 25.0
        while term >= 3 {
            series = series * s2 + 1 / term
            term -= 2
        }
        let tail = 2 * s * s2 * series
        let high = k * ln2Hi
        let twoS = 2 * s
        let sum = high + twoS
        let sumError = (high - sum) + twoS  // |high| ≥ |twoS| or high == 0
        let low = k * ln2Lo + 2 * sLow + tail + sumError
        return sum + low
    }

    /// e^x, within about one ulp.
    static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.782712893384 { return .infinity }
        if x < -745.1332191019412 { return 0 }
        let k = (x * 1.4426950408889634).rounded()
        let r = (x - k * ln2Hi) - k * ln2Lo
        // Taylor series of e^r for |r| ≤ ln2/2.
        var sum = 1.0
        var index = 18.0
        while index >= 1 {
            sum = 1 + sum * r / index
            index -= 1
        }
        return scaled(sum, by: Int(k))
    }

    /// sin x, within about one ulp for |x| < 2^33.
    static func sin(_ x: Double) -> Double {
        guard x.isFinite else { return .nan }
        let (r, quadrant) = reduce(x)
        switch quadrant & 3 {
        case 0: return sinKernel(r)
        case 1: return cosKernel(r)
        case 2: return -sinKernel(r)
        default: return -cosKernel(r)
        }
    }

    /// cos x, within about one ulp for |x| < 2^33.
    static func cos(_ x: Double) -> Double {
        guard x.isFinite else { return .nan }
        let (r, quadrant) = reduce(x)
        switch quadrant & 3 {
        case 0: return cosKernel(r)
        case 1: return -sinKernel(r)
        case 2: return -cosKernel(r)
        default: return sinKernel(r)
        }
    }

    /// acosh x for x ≥ 1.
    static func acosh(_ x: Double) -> Double {
        log(x + (x * x - 1).squareRoot())
    }

    /// x · 2^k without overflowing in between.
    private static func scaled(_ x: Double, by k: Int) -> Double {
        var value = x
        var k = k
        while k > 1000 {
            value *= 0x1p1000
            k -= 1000
        }
        while k < -1000 {
            value *= 0x1p-1000
            k += 1000
        }
        return value * Double(sign: .plus, exponent: k, significand: 1)
    }

    /// x − n·π/2 with |result| ≲ π/4, and n mod 4: accurate to about 1e-20
    /// while |n| < 2^20 (the products are exact) and to about 1e-16 up to
    /// |n| = 2^33 (n·piOver2A is still split exactly).
    private static func reduce(_ x: Double) -> (Double, Int) {
        if abs(x) <= 0.7853981633974483 { return (x, 0) }
        let n = (x * twoOverPi).rounded()
        let product = n * piOver2A
        let productError = (-product).addingProduct(n, piOver2A)
        let r = (((x - product) - productError) - n * piOver2B) - n * piOver2C
        return (r, Int(n.truncatingRemainder(dividingBy: 4)))
    }

    private static func sinKernel(_ r: Double) -> Double {
        let r2 = r * r
        var sum = 0.0
        var index = 27.0
        while index >= 3 {
            sum = (sum + 1) * (-r2 / (index * (index - 1)))
            index -= 2
        }
        return r + r * sum
    }

    private static func cosKernel(_ r: Double) -> Double {
        let r2 = r * r
        var sum = 0.0
        var index = 26.0
        while index >= 4 {
            sum = (sum + 1) * (-r2 / (index * (index - 1)))
            index -= 2
        }
        // 1 − r²/2 + r⁴/24·(…), with the first step split for accuracy.
        let half = 0.5 * r2
        let head = 1 - half
        return head + (((1 - head) - half) - half * sum)
    }
}
