/// JAX's default pseudo-random generator: the Threefry-2x32 block cipher
/// (20 rounds) used as a counter-based generator, with
/// `jax_threefry_partitionable` on (the default since jax 0.5).
///
/// With that setting `jax.random.bits(key, shape)` enciphers, for the value
/// at flat index i, the 64-bit counter i split as (i >> 32, i & 0xFFFFFFFF);
/// 32-bit draws are the two output words XORed, 64-bit draws are the words
/// joined high then low.
struct Threefry {
    /// The raw key, `jax.random.PRNGKey(seed)` or Keras's `[seed, 0]`.
    var key: (UInt32, UInt32)

    /// A key as Keras's `draw_seed` makes one from an integer seed: `[seed, 0]`.
    init(seed: UInt32) {
        key = (seed, 0)
    }

    /// The cipher applied to one counter block.
    func block(_ high: UInt32, _ low: UInt32) -> (UInt32, UInt32) {
        let k0 = key.0
        let k1 = key.1
        let k2 = key.0 ^ key.1 ^ 0x1BD1_1BDA
        var x0 = high &+ k0
        var x1 = low &+ k1
        // Five groups of four rounds, each group followed by a key injection.
        for round in 0..<20 {
            let rotation: UInt32
            switch round % 8 {
            case 0: rotation = 13
            case 1: rotation = 15
            case 2: rotation = 26
            case 3: rotation = 6
            case 4: rotation = 17
            case 5: rotation = 29
            case 6: rotation = 16
            default: rotation = 24
            }
            x0 = x0 &+ x1
            x1 = (x1 << rotation) | (x1 >> (32 - rotation))
            x1 ^= x0
            if round % 4 == 3 {
                let group = round / 4 + 1
                switch group % 3 {
                case 0:
                    x0 = x0 &+ k0
                    x1 = x1 &+ k1
                case 1:
                    x0 = x0 &+ k1
                    x1 = x1 &+ k2
                default:
                    x0 = x0 &+ k2
                    x1 = x1 &+ k0
                }
                x1 = x1 &+ UInt32(group)
            }
        }
        return (x0, x1)
    }

    /// Fills `count` blocks, calling `body` with each flat index and block.
    private func blocks(count: Int, _ body: (Int, UInt32, UInt32) -> Void) {
        for index in 0..<count {
            let (a, b) = block(UInt32(truncatingIfNeeded: UInt64(index) >> 32), UInt32(truncatingIfNeeded: index))
            body(index, a, b)
        }
    }

    /// `jax.random.bits(key, (count,), uint32)`.
    func bits32(count: Int) -> [UInt32] {
        var bits = [UInt32](repeating: 0, count: count)
        bits.withUnsafeMutableBufferPointer { bits in
            blocks(count: count) { index, a, b in bits[index] = a ^ b }
        }
        return bits
    }

    /// `jax.random.bits(key, (count,), uint64)`.
    func bits64(count: Int) -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: count)
        bits.withUnsafeMutableBufferPointer { bits in
            blocks(count: count) { index, a, b in bits[index] = UInt64(a) << 32 | UInt64(b) }
        }
        return bits
    }
}
