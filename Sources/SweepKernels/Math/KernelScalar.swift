import COpenBLAS
import Foundation

/// A floating-point type the kernels compute in: `Float` for training and inference
/// (through `cblas_sgemm`), `Double` for gradient checks (through `cblas_dgemm`).
public protocol KernelScalar: BinaryFloatingPoint, Sendable {
    /// `C ← alpha · op(A) · op(B) + beta · C` on row-major matrices, where `op(A)` is
    /// `m × k`, `op(B)` is `k × n` and `C` is `m × n`.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// e^x.
    static func exponential(_ x: Self) -> Self
    /// The natural logarithm.
    static func logarithm(_ x: Self) -> Self
    /// The hyperbolic tangent.
    static func hyperbolicTangent(_ x: Self) -> Self
    /// The error function.
    static func errorFunction(_ x: Self) -> Self
    /// The cosine.
    static func cosine(_ x: Self) -> Self
}

private func transpose(_ flag: Bool) -> CBLAS_TRANSPOSE { flag ? CblasTrans : CblasNoTrans }

extension Float: KernelScalar {
    /// `cblas_sgemm`, row-major.
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, transpose(transposeA), transpose(transposeB), blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    /// `expf`.
    public static func exponential(_ x: Float) -> Float { Foundation.exp(x) }
    /// `logf`.
    public static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
    /// `tanhf`.
    public static func hyperbolicTangent(_ x: Float) -> Float { Foundation.tanh(x) }
    /// `erff`.
    public static func errorFunction(_ x: Float) -> Float { Foundation.erf(x) }
    /// `cosf`.
    public static func cosine(_ x: Float) -> Float { Foundation.cos(x) }
}

extension Double: KernelScalar {
    /// `cblas_dgemm`, row-major.
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor, transpose(transposeA), transpose(transposeB), blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    /// `exp`.
    public static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    /// `log`.
    public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    /// `tanh`.
    public static func hyperbolicTangent(_ x: Double) -> Double { Foundation.tanh(x) }
    /// `erf`.
    public static func errorFunction(_ x: Double) -> Double { Foundation.erf(x) }
    /// `cos`.
    public static func cosine(_ x: Double) -> Double { Foundation.cos(x) }
}
