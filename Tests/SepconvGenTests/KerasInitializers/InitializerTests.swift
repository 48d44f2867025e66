import Foundation
import Testing
@testable import SepconvGen
@testable import KerasInitializers

/// One case of `Fixtures/initializers/manifest.json`, written by
/// `Scripts/initializer_fixtures.py` from Keras 3.15.1 on jax 0.10.2.
struct InitializerFixture: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var className: String
    var config: [String: ConfigValue]
    var shape: [Int]
    var dtype: String
    var seed: Int
    var seedInConfig: Bool
    var file: String?
    var kerasOutcome: String?

    enum CodingKeys: String, CodingKey {
        case name, config, shape, dtype, seed, file
        case className = "class_name"
        case seedInConfig = "seed_in_config"
        case kerasOutcome = "keras_outcome"
    }

    var testDescription: String { name }

    /// A JSON value of an initializer's config.
    enum ConfigValue: Decodable, Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case numbers([Double])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .numbers(try container.decode([Double].self))
            }
        }
    }

    var dataType: DType { dtype == "float64" ? .float64 : .float32 }

    func number(_ key: String, _ fallback: Double) -> Double {
        if case .number(let value)? = config[key] { return value }
        return fallback
    }

    func string(_ key: String, _ fallback: String?) -> String? {
        switch config[key] {
        case .string(let value)?: return value
        case .null?: return nil
        default: return fallback
        }
    }

    func axes(_ key: String) -> [Int]? {
        if case .numbers(let values)? = config[key] { return values.map { Int($0) } }
        return nil
    }

    /// The initializer Keras built for this case, as the spec would give it.
    var initializer: Initializer {
        let ownSeed = seedInConfig ? seed : nil
        func scaling(_ scale: Double, _ mode: Initializer.VarianceScaling.Mode,
                     _ distribution: Initializer.VarianceScaling.Distribution) -> Initializer {
            .varianceScaling(.init(scale: scale, mode: mode, distribution: distribution, seed: ownSeed,
                                   inputAxes: axes("input_axes"), outputAxes: axes("output_axes")))
        }
        switch className {
        case "zeros": return .zeros
        case "ones": return .ones
        case "constant": return .constant(value: number("value", 0))
        case "random_uniform", "uniform":
            return .randomUniform(minval: number("minval", -0.05), maxval: number("maxval", 0.05), seed: ownSeed)
        case "random_normal", "normal":
            return .randomNormal(mean: number("mean", 0), stddev: number("stddev", 0.05), seed: ownSeed)
        case "truncated_normal":
            return .truncatedNormal(mean: number("mean", 0), stddev: number("stddev", 0.05), seed: ownSeed)
        case "variance_scaling":
            let mode = Initializer.VarianceScaling.Mode(rawValue: string("mode", "fan_in") ?? "fan_in") ?? .fanIn
            var name = string("distribution", "truncated_normal") ?? "truncated_normal"
            if name == "normal" { name = "truncated_normal" }
            let distribution = Initializer.VarianceScaling.Distribution(rawValue: name) ?? .truncatedNormal
            return scaling(number("scale", 1), mode, distribution)
        case "glorot_uniform": return scaling(1, .fanAvg, .uniform)
        case "glorot_normal": return scaling(1, .fanAvg, .truncatedNormal)
        case "he_uniform": return scaling(2, .fanIn, .uniform)
        case "he_normal": return scaling(2, .fanIn, .truncatedNormal)
        case "lecun_uniform": return scaling(1, .fanIn, .uniform)
        case "lecun_normal": return scaling(1, .fanIn, .truncatedNormal)
        case "orthogonal": return .orthogonal(gain: number("gain", 1), seed: ownSeed)
        case "identity": return .identity(gain: number("gain", 1))
        case "stft":
            let side = Initializer.STFT.Side(rawValue: string("side", "real") ?? "real") ?? .real
            let scaling = string("scaling", "density").flatMap(Initializer.STFT.Scaling.init(rawValue:))
            var periodic = false
            if case .bool(let value)? = config["periodic"] { periodic = value }
            return .stft(.init(side: side, window: string("window", "hann"), scaling: scaling, periodic: periodic))
        default:
            Issue.record("unknown initializer \(className) in the manifest")
            return .zeros
        }
    }
}

/// The manifest's cases, or none if it cannot be read (a test reports that).
enum InitializerManifest {
    struct Contents: Decodable {
        var keras: String
        var jax: String
        var cases: [InitializerFixture]
        var errors: [InitializerFixture]
    }

    static func load() throws -> Contents {
        let data = try Data(contentsOf: Fixtures.url("initializers/manifest.json"))
        return try JSONDecoder().decode(Contents.self, from: data)
    }

    static let cases: [InitializerFixture] = (try? load().cases) ?? []
    static let errors: [InitializerFixture] = (try? load().errors) ?? []
}

@Suite("Keras initializers")
struct InitializerTests {
    @Test func manifestCoversEveryInitializer() throws {
        let manifest = try InitializerManifest.load()
        #expect(manifest.keras == "3.15.1")
        #expect(manifest.jax == "0.10.2")
        #expect(manifest.cases.count >= 30)
        let names = Set(manifest.cases.map(\.className))
        for name in ["zeros", "ones", "constant", "random_uniform", "uniform", "random_normal", "normal",
                     "truncated_normal", "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform",
                     "he_normal", "lecun_uniform", "lecun_normal", "orthogonal", "stft"] {
            #expect(names.contains(name), "no fixture for \(name)")
        }
        #expect(manifest.errors.contains { $0.className == "identity" })
        for seed in [0, 1, 42, (1 << 31) + 5] {
            #expect(manifest.cases.contains { $0.seed == seed }, "no fixture with seed \(seed)")
        }
    }

    /// Every value matches Keras: within 1e-6 (float32) or 1e-12 (float64)
    /// of the value, relatively. Orthogonal and STFT are compared relative
    /// to the largest magnitude in the weight instead: Keras's float32 QR
    /// (LAPACK) carries its own rounding, and Keras computes STFT's cosines
    /// in float32 even for float64 weights with the C library's `cosf`,
    /// which is an ulp off the correctly rounded value this port uses in
    /// about one argument in a hundred.
    @Test(arguments: InitializerManifest.cases)
    func matchesKeras(_ fixture: InitializerFixture) throws {
        let expected = try Fixtures.npy("initializers/\(fixture.file ?? fixture.name + ".npy")")
        #expect(expected.tensor.shape == fixture.shape)
        let values = try fixture.initializer.sample(shape: fixture.shape, singlePrecision: fixture.dataType == .float32, defaultSeed: fixture.seed, limit: Limits.maxParameters)
        try #require(values.count == expected.tensor.scalars.count)
        if fixture.dataType == .float32 {
            #expect(values.allSatisfy { Double(Float($0)) == $0 }, "values are not float32")
        }
        let global = fixture.className == "orthogonal" || fixture.className == "stft"
        let tolerance = fixture.dataType == .float64 && fixture.className != "stft" ? 1e-12 : 1e-6
        let largest = expected.tensor.scalars.reduce(0) { max($0, abs($1)) }
        var worst = 0.0
        var worstIndex = 0
        for (index, (value, reference)) in zip(values, expected.tensor.scalars).enumerated() {
            let scale = global ? largest : abs(reference)
            let error = abs(value - reference)
            let relative = error == 0 ? 0 : (scale == 0 ? Double.infinity : error / scale)
            if relative > worst {
                worst = relative
                worstIndex = index
            }
        }
        #expect(worst <= tolerance,
                "\(fixture.name): value \(worstIndex) is \(values[worstIndex]), Keras has \(expected.tensor.scalars[worstIndex]) (relative error \(worst))")
    }

    @Test(arguments: InitializerManifest.errors)
    func refusesWhereKerasFails(_ fixture: InitializerFixture) {
        #expect(throws: InitializerError.self, "Keras \(fixture.kerasOutcome ?? "fails")") {
            _ = try fixture.initializer.sample(shape: fixture.shape, singlePrecision: fixture.dataType == .float32, defaultSeed: fixture.seed, limit: Limits.maxParameters)
        }
    }

    @Test func errorsExplainThemselves() {
        let cases: [(Initializer, [Int], String)] = [
            (.identity(gain: 1), [3, 4, 2], "2D"),
            (.orthogonal(gain: 1, seed: 0), [16], "two-dimensional"),
            (.randomUniform(minval: 0, maxval: 1, seed: 1 << 32), [2], "4294967295"),
            (.randomNormal(mean: 0, stddev: 1, seed: nil), [2], "-3"),
            (.stft(.init(side: .real, window: "hann", scaling: .density, periodic: false)), [3, 4, 2], "second axis"),
            (.stft(.init(side: .real, window: "kaiser", scaling: nil, periodic: false)), [3, 1, 2], "parameters"),
            (.stft(.init(side: .real, window: nil, scaling: nil, periodic: false)), [5, 1, 1], "NaN"),
            (.varianceScaling(.init(scale: 1, mode: .fanIn, distribution: .uniform, seed: 0,
                                    inputAxes: [-4], outputAxes: [0])), [3, 4, 2], "axis -4"),
            (.varianceScaling(.init(scale: -1, mode: .fanIn, distribution: .uniform, seed: 0)), [3], "positive"),
            (.constant(value: 1e39), [2], "infinite"),
            (.zeros, [3, -1], "negative"),
            (.ones, [1 << 21], "at most"),
        ]
        for (initializer, shape, fragment) in cases {
            do {
                _ = try initializer.sample(shape: shape, singlePrecision: true, defaultSeed: -3, limit: Limits.maxParameters)
                Issue.record("\(initializer) on \(shape) did not throw")
            } catch {
                #expect(error.message.contains(fragment), "\(error.message)")
            }
        }
    }

    @Test func constantsAreRoundedToTheDtype() throws {
        let single = try Initializer.constant(value: 0.1).sample(shape: [2], singlePrecision: true, defaultSeed: 0, limit: Limits.maxParameters)
        #expect(single == [Double(Float(0.1)), Double(Float(0.1))])
        let double = try Initializer.constant(value: 0.1).sample(shape: [1], singlePrecision: false, defaultSeed: 0, limit: Limits.maxParameters)
        #expect(double == [0.1])
        #expect(try Initializer.zeros.sample(shape: [2, 0, 3], singlePrecision: true, defaultSeed: 0, limit: Limits.maxParameters).isEmpty)
        #expect(try Initializer.orthogonal(gain: 1, seed: nil).sample(shape: [0, 3], singlePrecision: true, defaultSeed: 0, limit: Limits.maxParameters).isEmpty)
    }

    @Test func ownSeedOverridesTheDefault() throws {
        let own = try Initializer.randomNormal(mean: 0, stddev: 1, seed: 42).sample(shape: [5], singlePrecision: true, defaultSeed: 7, limit: Limits.maxParameters)
        let inherited = try Initializer.randomNormal(mean: 0, stddev: 1, seed: nil).sample(shape: [5], singlePrecision: true, defaultSeed: 42, limit: Limits.maxParameters)
        let other = try Initializer.randomNormal(mean: 0, stddev: 1, seed: nil).sample(shape: [5], singlePrecision: true, defaultSeed: 7, limit: Limits.maxParameters)
        #expect(own == inherited)
        #expect(own != other)
    }

    @Test func identityFillsMatrices() throws {
        let values = try Initializer.identity(gain: 2).sample(shape: [2, 3], singlePrecision: false, defaultSeed: 0, limit: Limits.maxParameters)
        #expect(values == [2, 0, 0, 0, 2, 0])
    }

    @Test func orthogonalIsOrthonormal() throws {
        let values = try Initializer.orthogonal(gain: 1, seed: 3).sample(shape: [2, 5, 4], singlePrecision: false, defaultSeed: 0, limit: Limits.maxParameters)
        for i in 0..<4 {
            for j in 0..<4 {
                let dot = (0..<10).reduce(0.0) { $0 + values[$1 * 4 + i] * values[$1 * 4 + j] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    /// Random123's known answers, which jax's own tests check too.
    @Test func threefryKnownAnswers() {
        var generator = Threefry(seed: 0)
        generator.key = (0x1319_8A2E, 0x0370_7344)
        #expect(generator.block(0x243F_6A88, 0x85A3_08D3) == (0xC492_3A9C, 0x483D_F7A0))
        generator.key = (0, 0)
        #expect(generator.block(0, 0) == (0x6B20_0159, 0x99BA_4EFE))
        generator.key = (.max, .max)
        #expect(generator.block(.max, .max) == (0x1CB9_96FC, 0xBB00_2BE7))
        // jax.random.bits(jnp.array([42, 0], uint32), (4,), uint32)
        #expect(Threefry(seed: 42).bits32(count: 4) == [0x9115_32A1, 0x10C7_CDB8, 0x61B5_4987, 0xB643_3E01])
    }

    /// `jax.lax.erf_inv` and `jnp.log` on float32, bit for bit.
    @Test func xlaFloat32Kernels() {
        let inputs: [Float] = [-0.999, -0.7, -0.3, 0.0001, 0.5, 0.9, 0.99999]
        let erfInv: [UInt32] = [0xC014_E999, 0xBF3B_9D4F, 0xBE8B_803D, 0x38B9_DAF1, 0x3EF4_30FE, 0x3F94_E009, 0x4047_E297]
        #expect(inputs.map { JAXSampling.erfInv($0).bitPattern } == erfInv)
        let logInputs: [Float] = [0.001, 0.3, 0.5, 0.9, 1.7, 123.4]
        let logs: [UInt32] = [0xC0DD_0C55, 0xBF9A_1BC8, 0xBF31_7218, 0xBDD7_C745, 0x3F07_D741, 0x409A_1803]
        #expect(logInputs.map { JAXSampling.log($0).bitPattern } == logs)
    }

    @Test func referenceMathIsAccurate() {
        for x in stride(from: 0.01, through: 50, by: 0.37) {
            #expect(abs(ReferenceMath.log(x) - Foundation.log(x)) <= 2 * Foundation.log(x).ulp)
            #expect(abs(ReferenceMath.exp(-x / 10) - Foundation.exp(-x / 10)) <= 2 * Foundation.exp(-x / 10).ulp)
            #expect(abs(ReferenceMath.sin(x) - Foundation.sin(x)) <= 2e-16)
            #expect(abs(ReferenceMath.cos(-x) - Foundation.cos(-x)) <= 2e-16)
        }
    }
}
