import COpenBLAS

/// The number of threads OpenBLAS uses for each matrix product.
///
/// The setting is process-wide: OpenBLAS keeps one pool. A kernel sets it before it starts
/// and results are reproducible for a given seed *and* thread count, because the thread
/// count decides how OpenBLAS splits (and so sums) each product.
public enum BLASThreads {
    /// The largest thread count a kernel accepts.
    public static let maximum = 256

    /// Sets the thread count for subsequent products.
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, min(count, maximum))))
    }

    /// The thread count in force.
    public static var current: Int { Int(openblas_get_num_threads()) }
}
