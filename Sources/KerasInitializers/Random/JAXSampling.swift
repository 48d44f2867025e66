/// `jax.random.uniform`, `normal` and `truncated_normal` (jax 0.10, CPU),
/// reproduced operation by operation in the same precision.
///
/// XLA's CPU compiler contracts a multiply feeding an add into one fused
/// multiply-add wherever the multiply has no other use; the code below
/// writes those places as `addingProduct` and leaves the others unfused.
/// With that, float32 and float64 draws match jax bit for bit (the float64
/// logarithm excepted, which is the C library's and matches to an ulp).
enum JAXSampling {
    // MARK: Uniform

    /// `jax.random.uniform(key, (count,), float32, minval, maxval)`.
    static func uniform(_ generator: Threefry, count: Int, minval: Float, maxval: Float) -> [Float] {
        let range = maxval - minval
        return generator.bits32(count: count).map { bits in
            let unit = Float(bitPattern: bits >> 9 | 0x3F80_0000) - 1
            return max(minval, minval.addingProduct(unit, range))
        }
    }

    /// `jax.random.uniform(key, (count,), float64, minval, maxval)`.
    static func uniform(_ generator: Threefry, count: Int, minval: Double, maxval: Double) -> [Double] {
        let range = maxval - minval
        return generator.bits64(count: count).map { bits in
            let unit = Double(bitPattern: bits >> 12 | 0x3FF0_0000_0000_0000) - 1
            return max(minval, minval.addingProduct(unit, range))
        }
    }

    // MARK: Normal

    /// `jax.random.normal(key, (count,), float32)`: √2·erfinv(u), u uniform in (−1, 1).
    static func normalFloat(_ generator: Threefry, count: Int) -> [Float] {
        let sqrt2 = Float(bitPattern: 0x3FB5_04F3)
        return uniform(generator, count: count, minval: Float(-1).nextUp, maxval: 1).map { sqrt2 * erfInv($0) }
    }

    /// `jax.random.normal(key, (count,), float64)`.
    static func normalDouble(_ generator: Threefry, count: Int) -> [Double] {
        let sqrt2 = Double(2).squareRoot()
        return uniform(generator, count: count, minval: Double(-1).nextUp, maxval: 1).map { sqrt2 * erfInv($0) }
    }

    // MARK: Truncated normal

    /// `jax.random.truncated_normal(key, -2.0, 2.0, (count,), float32)`, the
    /// only bounds Keras uses.
    static func truncatedNormalFloat(_ generator: Threefry, count: Int) -> [Float] {
        // erf(∓2/√2) as XLA computes it in float32.
        let lower = Float(bitPattern: 0xBF74_5A18)
        let upper = Float(bitPattern: 0x3F74_5A18)
        let sqrt2 = Float(bitPattern: 0x3FB5_04F3)
        let low = Float(-2).nextUp
        let high = Float(2).nextDown
        return uniform(generator, count: count, minval: lower, maxval: upper).map { u in
            min(max(sqrt2 * erfInv(u), low), high)
        }
    }

    /// `jax.random.truncated_normal(key, -2.0, 2.0, (count,), float64)`.
    static func truncatedNormalDouble(_ generator: Threefry, count: Int) -> [Double] {
        let lower = Double(bitPattern: 0xBFEE_8B43_07D3_627A)
        let upper = Double(bitPattern: 0x3FEE_8B43_07D3_627A)
        let sqrt2 = Double(2).squareRoot()
        let low = Double(-2).nextUp
        let high = Double(2).nextDown
        return uniform(generator, count: count, minval: lower, maxval: upper).map { u in
            min(max(sqrt2 * erfInv(u), low), high)
        }
    }

    // MARK: XLA's erf_inv

    /// Giles's single-precision erfinv as XLA lowers `chlo.erf_inv` for f32.
    static func erfInv(_ x: Float) -> Float {
        if abs(x) == 1 { return x * .infinity }
        let w = -log1p(x * -x)
        var p: Float
        if w < 5 {
            let t = w + -2.5
            p = 2.81022636e-08
            p = (3.43273939e-07 as Float).addingProduct(p, t)
            p = (-3.5233877e-06 as Float).addingProduct(p, t)
            p = (-4.39150654e-06 as Float).addingProduct(p, t)
            p = (0.00021858087 as Float).addingProduct(p, t)
            p = (-0.00125372503 as Float).addingProduct(p, t)
            p = (-0.00417768164 as Float).addingProduct(p, t)
            p = (0.246640727 as Float).addingProduct(p, t)
            p = (1.50140941 as Float).addingProduct(p, t)
        } else {
            let t = w.squareRoot() + -3
            p = -0.000200214257
            p = (0.000100950558 as Float).addingProduct(p, t)
            p = (0.00134934322 as Float).addingProduct(p, t)
            p = (-0.00367342844 as Float).addingProduct(p, t)
            p = (0.00573950773 as Float).addingProduct(p, t)
            p = (-0.0076224613 as Float).addingProduct(p, t)
            p = (0.00943887047 as Float).addingProduct(p, t)
            p = (1.00167406 as Float).addingProduct(p, t)
            p = (2.83297682 as Float).addingProduct(p, t)
        }
        return p * x
    }

    /// Giles's double-precision erfinv as XLA lowers `chlo.erf_inv` for f64.
    static func erfInv(_ x: Double) -> Double {
        if abs(x) == 1 { return x * .infinity }
        let w = -log1p(x * -x)
        var p: Double
        if w < 6.25 {
            let t = w + -3.125
            p = -3.64441206401782e-21
            p = (-1.6850591381820166e-19 as Double).addingProduct(p, t)
            p = (1.28584807152564e-18 as Double).addingProduct(p, t)
            p = (1.1157877678025181e-17 as Double).addingProduct(p, t)
            p = (-1.3331716628546209e-16 as Double).addingProduct(p, t)
            p = (2.0972767875968562e-17 as Double).addingProduct(p, t)
            p = (6.6376381343583238e-15 as Double).addingProduct(p, t)
            p = (-4.0545662729752069e-14 as Double).addingProduct(p, t)
            p = (-8.1519341976054722e-14 as Double).addingProduct(p, t)
            p = (2.6335093153082323e-12 as Double).addingProduct(p, t)
            p = (-1.2975133253453532e-11 as Double).addingProduct(p, t)
            p = (-5.4154120542946279e-11 as Double).addingProduct(p, t)
            p = (1.0512122733215323e-09 as Double).addingProduct(p, t)
            p = (-4.1126339803469837e-09 as Double).addingProduct(p, t)
            p = (-2.9070369957882005e-08 as Double).addingProduct(p, t)
            p = (4.2347877827932404e-07 as Double).addingProduct(p, t)
            p = (-1.3654692000834679e-06 as Double).addingProduct(p, t)
            p = (-1.3882523362786469e-05 as Double).addingProduct(p, t)
            p = (0.00018673420803405714 as Double).addingProduct(p, t)
            p = (-0.000740702534166267 as Double).addingProduct(p, t)
            p = (-0.0060336708714301491 as Double).addingProduct(p, t)
            p = (0.24015818242558962 as Double).addingProduct(p, t)
            p = (1.6536545626831027 as Double).addingProduct(p, t)
        } else if w < 16 {
            let t = w.squareRoot() - 3.25
            p = 2.2137376921775787e-09
            p = (9.0756561938885391e-08 as Double).addingProduct(p, t)
            p = (-2.7517406297064545e-07 as Double).addingProduct(p, t)
            p = (1.8239629214389228e-08 as Double).addingProduct(p, t)
            p = (1.5027403968909828e-06 as Double).addingProduct(p, t)
            p = (-4.013867526981546e-06 as Double).addingProduct(p, t)
            p = (2.9234449089955446e-06 as Double).addingProduct(p, t)
            p = (1.2475304481671779e-05 as Double).addingProduct(p, t)
            p = (-4.7318229009055734e-05 as Double).addingProduct(p, t)
            p = (6.8284851459573175e-05 as Double).addingProduct(p, t)
            p = (2.4031110387097894e-05 as Double).addingProduct(p, t)
            p = (-0.00035503752036284748 as Double).addingProduct(p, t)
            p = (0.0009532893797373805 as Double).addingProduct(p, t)
            p = (-0.0016882755560235047 as Double).addingProduct(p, t)
            p = (0.0024914420961078508 as Double).addingProduct(p, t)
            p = (-0.0037512085075692412 as Double).addingProduct(p, t)
            p = (0.0053709145535900636 as Double).addingProduct(p, t)
            p = (1.0052589676941592 as Double).addingProduct(p, t)
            p = (3.0838856104922208 as Double).addingProduct(p, t)
        } else {
            let t = w.squareRoot() - 5
            p = -2.7109920616438573e-11
            p = (-2.5556418169965252e-10 as Double).addingProduct(p, t)
            p = (1.5076572693500548e-09 as Double).addingProduct(p, t)
            p = (-3.789465440126737e-09 as Double).addingProduct(p, t)
            p = (7.61570120807834e-09 as Double).addingProduct(p, t)
            p = (-1.496002662714924e-08 as Double).addingProduct(p, t)
            p = (2.9147953450901081e-08 as Double).addingProduct(p, t)
            p = (-6.7711997758452339e-08 as Double).addingProduct(p, t)
            p = (2.2900482228026655e-07 as Double).addingProduct(p, t)
            p = (-9.9298272942317e-07 as Double).addingProduct(p, t)
            p = (4.5260625972231537e-06 as Double).addingProduct(p, t)
            p = (-1.9681778105531671e-05 as Double).addingProduct(p, t)
            p = (7.5995277030017761e-05 as Double).addingProduct(p, t)
            p = (-0.00021503011930044477 as Double).addingProduct(p, t)
            p = (-0.00013871931833623122 as Double).addingProduct(p, t)
            p = (1.0103004648645344 as Double).addingProduct(p, t)
            p = (4.8499064014085844 as Double).addingProduct(p, t)
        }
        return p * x
    }

    // MARK: XLA's log1p and log

    /// XLA CPU's float32 `log-plus-one`: Cephes's log1p rational for
    /// |x| < √2 − 1 (its double coefficients rounded to float32), else
    /// log(1 + x).
    static func log1p(_ x: Float) -> Float {
        guard abs(x) < Float(0.41421356237309504880) else { return log(1 + x) }
        let x2 = x * x
        var numerator = Float(4.5270000862445199635215E-5 as Double)
        numerator = Float(4.9854102823193375972212E-1 as Double).addingProduct(numerator, x)
        numerator = Float(6.5787325942061044846969E0 as Double).addingProduct(numerator, x)
        numerator = Float(2.9911919328553073277375E1 as Double).addingProduct(numerator, x)
        numerator = Float(6.0949667980987787057556E1 as Double).addingProduct(numerator, x)
        numerator = Float(5.7112963590585538103336E1 as Double).addingProduct(numerator, x)
        numerator = Float(2.0039553499201281259648E1 as Double).addingProduct(numerator, x)
        var denominator: Float = 1
        denominator = Float(1.5062909083469192043167E1 as Double).addingProduct(denominator, x)
        denominator = Float(8.3047565967967209469434E1 as Double).addingProduct(denominator, x)
        denominator = Float(2.2176239823732856465394E2 as Double).addingProduct(denominator, x)
        denominator = Float(3.0909872225312059774938E2 as Double).addingProduct(denominator, x)
        denominator = Float(2.1642788614495947685003E2 as Double).addingProduct(denominator, x)
        denominator = Float(6.0118660497603843919306E1 as Double).addingProduct(denominator, x)
        let ratio = numerator / denominator
        let x3 = x * x2
        return x + (-0.5 * x2 + x3 * ratio)
    }

    /// XLA CPU's float64 `log-plus-one` (the logarithm is the C library's).
    static func log1p(_ x: Double) -> Double {
        guard abs(x) < 0.41421356237309504880 else { return ReferenceMath.log(1 + x) }
        let x2 = x * x
        var numerator: Double = 4.5270000862445199635215E-5
        numerator = (4.9854102823193375972212E-1 as Double).addingProduct(numerator, x)
        numerator = (6.5787325942061044846969E0 as Double).addingProduct(numerator, x)
        numerator = (2.9911919328553073277375E1 as Double).addingProduct(numerator, x)
        numerator = (6.0949667980987787057556E1 as Double).addingProduct(numerator, x)
        numerator = (5.7112963590585538103336E1 as Double).addingProduct(numerator, x)
        numerator = (2.0039553499201281259648E1 as Double).addingProduct(numerator, x)
        var denominator: Double = 1
        denominator = (1.5062909083469192043167E1 as Double).addingProduct(denominator, x)
        denominator = (8.3047565967967209469434E1 as Double).addingProduct(denominator, x)
        denominator = (2.2176239823732856465394E2 as Double).addingProduct(denominator, x)
        denominator = (3.0909872225312059774938E2 as Double).addingProduct(denominator, x)
        denominator = (2.1642788614495947685003E2 as Double).addingProduct(denominator, x)
        denominator = (6.0118660497603843919306E1 as Double).addingProduct(denominator, x)
        let ratio = numerator / denominator
        let x3 = x * x2
        return x + (-0.5 * x2 + x3 * ratio)
    }

    /// XLA CPU's float32 logarithm: Cephes's `logf` polynomial, evaluated in
    /// Eigen's split order.
    static func log(_ value: Float) -> Float {
        if value.isNaN || value < 0 { return .nan }
        if value == 0 { return -.infinity }
        if value == .infinity { return value }
        let bits = max(value, Float.leastNormalMagnitude).bitPattern
        var exponent = Float(Int(bits >> 23) - 127) + 1
        let mantissa = Float(bitPattern: bits & 0x807F_FFFF | 0x3F00_0000)  // [0.5, 1)
        var x: Float
        if mantissa < Float(bitPattern: 0x3F35_04F3) {
            x = (mantissa - 1) + mantissa
            exponent -= 1
        } else {
            x = mantissa - 1
        }
        let p = (Float(bitPattern: 0x3D90_21BB), Float(bitPattern: 0xBDEB_D1B8), Float(bitPattern: 0x3DEF_251A),
                 Float(bitPattern: 0xBDFE_5D4F), Float(bitPattern: 0x3E11_E9BF), Float(bitPattern: 0xBE2A_AE50),
                 Float(bitPattern: 0x3E4C_CEAC), Float(bitPattern: 0xBE7F_FFFC), Float(bitPattern: 0x3EAA_AAAA))
        let lowLn2 = Float(bitPattern: 0xB95E_8083)
        let highLn2 = Float(bitPattern: 0x3F31_8000)
        let x2 = x * x
        let x3 = x2 * x
        var y = p.1.addingProduct(x, p.0)
        var y1 = p.4.addingProduct(x, p.3)
        var y2 = p.7.addingProduct(x, p.6)
        y = p.2.addingProduct(y, x)
        y1 = p.5.addingProduct(y1, x)
        y2 = p.8.addingProduct(y2, x)
        y = y1.addingProduct(y, x3)
        y = y2.addingProduct(y, x3)
        y = (lowLn2 * exponent).addingProduct(y, x3)
        x = (x - 0.5 * x2) + y
        return x.addingProduct(highLn2, exponent)
    }
}
