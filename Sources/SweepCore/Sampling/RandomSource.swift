/// A small, fast, seedable generator (xoshiro256**), so that expansion is the same on every
/// machine and every run for the same `seed`. Never used for anything secret.
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Seeds the four words of state from one 64-bit seed through SplitMix64, as the
    /// xoshiro authors recommend.
    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        state = (mixer.next(), mixer.next(), mixer.next(), mixer.next())
    }

    /// Seeds from several words, mixing each in turn; used to give every
    /// (configuration, parameter) pair a stream of its own.
    public init(seeds: UInt64...) {
        var combined: UInt64 = 0x243F_6A88_85A3_08D3
        for word in seeds {
            var mixer = SplitMix64(state: combined ^ word)
            combined = mixer.next()
        }
        self.init(seed: combined)
    }

    /// The same as `init(seeds: a, b, c)` without an array (expansion calls it per draw).
    public init(_ a: UInt64, _ b: UInt64, _ c: UInt64) {
        var combined: UInt64 = 0x243F_6A88_85A3_08D3
        var mixer = SplitMix64(state: combined ^ a)
        combined = mixer.next()
        mixer = SplitMix64(state: combined ^ b)
        combined = mixer.next()
        mixer = SplitMix64(state: combined ^ c)
        combined = mixer.next()
        self.init(seed: combined)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A double uniformly distributed in the open interval (0, 1): 53 random bits, offset by
    /// half a step so that neither end is ever produced (quantile functions diverge there).
    public mutating func nextOpenUnit() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    private func rotateLeft(_ value: UInt64, _ amount: UInt64) -> UInt64 {
        (value << amount) | (value >> (64 - amount))
    }
}

/// SplitMix64, used to expand seeds (Steele, Lea and Flood 2014).
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A stable 64-bit hash of a string (FNV-1a), for deriving per-parameter streams;
/// Swift's `Hasher` is seeded per process and would break determinism.
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}
