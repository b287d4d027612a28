/// SplitMix64: a small, fast, seeded generator, so that bootstrap intervals are reproducible
/// on every platform (the system generator is neither seedable nor stable).
struct LadderRandomNumbers: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence depends only on `seed`.
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// The indices of bootstrap resample `resample` of `count` points: a pure function of its
    /// arguments, so two fits over the same points draw the same resamples.
    static func resampleIndices(seed: UInt64, resample: Int, count: Int) -> [Int] {
        var generator = LadderRandomNumbers(seed: seed &+ 0xD1B5_4A32_D192_ED03 &* UInt64(resample + 1))
        return (0..<count).map { _ in Int.random(in: 0..<count, using: &generator) }
    }
}
