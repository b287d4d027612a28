/// A fixed-size, zero-initialised block of scalars with a stable address, so that layers
/// can hand raw pointers to BLAS without copies or exclusivity conflicts.
public final class Buffer<Scalar: KernelScalar> {
    /// The elements.
    public let pointer: UnsafeMutablePointer<Scalar>
    /// How many elements.
    public let count: Int

    /// A buffer of `count` zeros.
    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A buffer holding a copy of `values`.
    public convenience init(_ values: [Scalar]) {
        self.init(count: values.count)
        for index in values.indices { pointer[index] = values[index] }
    }

    deinit { pointer.deallocate() }

    /// The element at `index`.
    public subscript(index: Int) -> Scalar {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// The elements as an array.
    public var array: [Scalar] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }
}
