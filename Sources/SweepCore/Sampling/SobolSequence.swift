/// A scrambled Sobol sequence: low-discrepancy points in [0, 1)^d that cover a space more
/// evenly than independent draws. Direction numbers of Joe and Kuo; scrambling by random
/// linear matrices and a digital shift (Matoušek 1998; Owen 2003), seeded, so that the
/// points are deterministic for a seed yet keep the sequence's stratification.
public struct SobolSequence: Sendable {
    /// Bits of precision per coordinate.
    static let bits = 32

    /// The number of coordinates per point.
    public let dimensions: Int
    private var directions: [[UInt32]]  // [dimension][bit]
    private var shift: [UInt32]
    private var state: [UInt32]
    private var index: UInt64 = 0

    /// The largest dimension supported.
    public static var maxDimensions: Int { SobolDirectionNumbers.dimensions }

    /// A sequence of `dimensions`-dimensional points; unscrambled when `scrambleSeed` is nil.
    public init(dimensions: Int, scrambleSeed: UInt64?) {
        precondition(dimensions >= 1 && dimensions <= SobolDirectionNumbers.dimensions, "Sobol dimension out of range")
        self.dimensions = dimensions
        var directions = (0..<dimensions).map { Self.directionNumbers(dimension: $0) }
        var shift = [UInt32](repeating: 0, count: dimensions)
        if let scrambleSeed {
            var random = RandomSource(seed: scrambleSeed)
            for dimension in 0..<dimensions {
                directions[dimension] = Self.scramble(directions[dimension], using: &random)
                shift[dimension] = UInt32(truncatingIfNeeded: random.next() >> 32)
            }
        }
        self.directions = directions
        self.shift = shift
        self.state = shift
    }

    /// The next point (the first is index 0), in Gray-code order as usual for Sobol.
    public mutating func next() -> [Double] {
        let point = state.map { Double($0) * 0x1.0p-32 }
        // Moving from index n to n+1 flips the direction of the lowest zero bit of n.
        let bit = (~index).trailingZeroBitCount
        if bit < Self.bits {
            for dimension in 0..<dimensions { state[dimension] ^= directions[dimension][bit] }
        }
        index += 1
        return point
    }

    /// Direction numbers v_1...v_32 of one dimension, left-aligned in 32 bits.
    static func directionNumbers(dimension: Int) -> [UInt32] {
        var m = [UInt32](repeating: 0, count: bits)
        if dimension == 0 {
            for bit in 0..<bits { m[bit] = 1 }
        } else {
            let (polynomial, initial) = SobolDirectionNumbers.table[dimension]
            let degree = (UInt32.bitWidth - polynomial.leadingZeroBitCount) - 1
            for bit in 0..<min(degree, bits) { m[bit] = initial[bit] }
            if degree < bits {
                for bit in degree..<bits {
                    var value = m[bit - degree]
                    var power: UInt32 = 1
                    for k in 0..<degree {
                        power <<= 1
                        if (polynomial >> UInt32(degree - 1 - k)) & 1 == 1 {
                            value ^= power &* m[bit - k - 1]
                        }
                    }
                    m[bit] = value
                }
            }
        }
        return (0..<bits).map { bit in m[bit] << UInt32(bits - 1 - bit) }
    }

    /// Left-multiplies the direction numbers, as bit columns, by a random lower-triangular
    /// binary matrix with unit diagonal: bit j of the result mixes bits 0...j of the input.
    static func scramble(_ directions: [UInt32], using random: inout RandomSource) -> [UInt32] {
        // Row r of the matrix (r = 0 is the most significant output bit): a random mask of
        // the r more significant input bits, plus bit r itself.
        var rows = [UInt32](repeating: 0, count: bits)
        for row in 0..<bits {
            let randomBits = UInt32(truncatingIfNeeded: random.next() >> 32)
            let above: UInt32 = row == 0 ? 0 : ~UInt32(0) << UInt32(bits - row)
            rows[row] = (randomBits & above) | (1 << UInt32(bits - 1 - row))
        }
        return directions.map { direction in
            var result: UInt32 = 0
            for row in 0..<bits where (rows[row] & direction).nonzeroBitCount & 1 == 1 {
                result |= 1 << UInt32(bits - 1 - row)
            }
            return result
        }
    }
}
