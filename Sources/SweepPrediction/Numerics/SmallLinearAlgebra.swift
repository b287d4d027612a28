/// Dense linear algebra on the few-by-few symmetric systems of a curve fit (a handful of
/// parameters), row-major in flat arrays; no BLAS, since the matrices are tiny.
enum SmallLinearAlgebra {
    /// Solves `matrix · x = rhs` for a symmetric positive definite `matrix` (n × n) by
    /// Cholesky; returns nil when the matrix is not numerically positive definite.
    static func choleskySolve(_ matrix: [Double], _ rhs: [Double], dimension n: Int) -> [Double]? {
        guard let factor = cholesky(matrix, dimension: n) else { return nil }
        return solve(factor: factor, rhs, dimension: n)
    }

    /// Solves `matrix · x = rhs` in place without allocating: `matrix` is overwritten by its
    /// Cholesky factor and `rhs` by x; false when the matrix is not numerically positive
    /// definite (both are then garbage).
    static func choleskySolveInPlace(_ matrix: inout [Double], _ rhs: inout [Double], dimension n: Int) -> Bool {
        for row in 0..<n {
            for column in 0...row {
                var sum = matrix[row * n + column]
                for k in 0..<column { sum -= matrix[row * n + k] * matrix[column * n + k] }
                if row == column {
                    guard sum > 0, sum.isFinite else { return false }
                    matrix[row * n + row] = sum.squareRoot()
                } else {
                    matrix[row * n + column] = sum / matrix[column * n + column]
                }
            }
        }
        for row in 0..<n {
            var sum = rhs[row]
            for k in 0..<row { sum -= matrix[row * n + k] * rhs[k] }
            rhs[row] = sum / matrix[row * n + row]
        }
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = rhs[row]
            for k in (row + 1)..<n { sum -= matrix[k * n + row] * rhs[k] }
            rhs[row] = sum / matrix[row * n + row]
        }
        return true
    }

    /// The lower-triangular Cholesky factor L (L·Lᵀ = matrix), or nil when a pivot is not
    /// positive and finite.
    static func cholesky(_ matrix: [Double], dimension n: Int) -> [Double]? {
        var factor = [Double](repeating: 0, count: n * n)
        for row in 0..<n {
            for column in 0...row {
                var sum = matrix[row * n + column]
                for k in 0..<column { sum -= factor[row * n + k] * factor[column * n + k] }
                if row == column {
                    guard sum > 0, sum.isFinite else { return nil }
                    factor[row * n + row] = sum.squareRoot()
                } else {
                    factor[row * n + column] = sum / factor[column * n + column]
                }
            }
        }
        return factor
    }

    /// Solves L·Lᵀ·x = rhs given the Cholesky factor L.
    static func solve(factor: [Double], _ rhs: [Double], dimension n: Int) -> [Double] {
        var x = rhs
        for row in 0..<n {
            var sum = x[row]
            for k in 0..<row { sum -= factor[row * n + k] * x[k] }
            x[row] = sum / factor[row * n + row]
        }
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = x[row]
            for k in (row + 1)..<n { sum -= factor[k * n + row] * x[k] }
            x[row] = sum / factor[row * n + row]
        }
        return x
    }

    /// The inverse of a symmetric positive definite matrix, or nil when it is singular.
    static func inverse(_ matrix: [Double], dimension n: Int) -> [Double]? {
        guard let factor = cholesky(matrix, dimension: n) else { return nil }
        var inverse = [Double](repeating: 0, count: n * n)
        var unit = [Double](repeating: 0, count: n)
        for column in 0..<n {
            unit[column] = 1
            let solved = solve(factor: factor, unit, dimension: n)
            for row in 0..<n { inverse[row * n + column] = solved[row] }
            unit[column] = 0
        }
        return inverse
    }
}
