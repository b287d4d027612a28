/// One family's least-squares problem on normalised observations.
struct CurveFamilyProblem: LeastSquaresProblem {
    let family: CurveFamily
    let points: [StepCoordinates]
    let y: [Double]

    var parameterCount: Int { family.parameterCount }
    var residualCount: Int { points.count }

    func residuals(at parameters: [Double], into residuals: inout [Double]) {
        residuals.withUnsafeMutableBufferPointer { residuals in
            points.withUnsafeBufferPointer { points in
                family.evaluate(points, parameters: parameters, values: residuals.baseAddress!, gradients: nil)
            }
            for index in y.indices { residuals[index] -= y[index] }
        }
    }

    func jacobian(at parameters: [Double], into jacobian: inout [Double]) -> Bool {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: points.count) { values in
            jacobian.withUnsafeMutableBufferPointer { jacobian in
                points.withUnsafeBufferPointer { points in
                    family.evaluate(points, parameters: parameters, values: values.baseAddress!, gradients: jacobian.baseAddress!)
                }
            }
        }
        return true
    }
}

/// The outcome of fitting one family to normalised observations, before weighting.
struct NormalisedFamilyFit {
    var parameters: [Double]
    var noiseVariance: Double
    var covariance: [Double]
    var meanSquaredResidual: Double
    /// Robustly weighted mean squared residual (the Gaussian likelihood's σ² for BIC).
    var weightedMeanSquaredResidual: Double
}

extension CurveFamily {
    /// Fits the family to (points, y) from `start`, or else from its data-derived starting
    /// points, with the robust loss scaled to the noise seen from the first start; nil when
    /// there are too few points for its parameters or the fit is not finite.
    func fit(
        _ points: [StepCoordinates],
        y: [Double],
        configuration: CurvePredictor.Configuration,
        start: [Double]? = nil
    ) -> NormalisedFamilyFit? {
        let count = points.count
        let parameterCount = self.parameterCount
        guard count > parameterCount else { return nil }
        let starts = start.map { [$0] } ?? startingPoints(points, y: y, count: configuration.startsPerFamily)
        let problem = CurveFamilyProblem(family: self, points: points, y: y)
        let bounds = self.bounds

        var startResiduals = [Double](repeating: 0, count: count)
        problem.residuals(at: starts[0].enumerated().map { bounds.clamp($0.element, at: $0.offset) }, into: &startResiduals)
        let noiseScale = max(RobustLoss.robustScale(of: startResiduals), configuration.minimumNoiseStandardDeviation)
        var solver = LevenbergMarquardt(
            loss: configuration.loss.robustLoss(noiseScale: noiseScale),
            configuration: configuration.solver
        )

        var best: LeastSquaresSolution?
        for start in starts {
            let solution = solver.minimize(problem, from: start, bounds: bounds)
            guard solution.isFinite else { continue }
            if best == nil || solution.cost < best!.cost { best = solution }
        }
        guard var solution = best else { return nil }
        // The start's residuals overstate the noise (the grid is coarse), which makes the
        // robust loss too tolerant: once the fit is close, rescale the loss to the fit's own
        // residuals and polish.
        if configuration.loss != .squared {
            let fittedScale = max(RobustLoss.robustScale(of: solution.residuals), configuration.minimumNoiseStandardDeviation)
            if fittedScale < 0.7 * noiseScale {
                solver.loss = configuration.loss.robustLoss(noiseScale: fittedScale)
                let polished = solver.minimize(problem, from: solution.parameters, bounds: bounds)
                if polished.isFinite { solution = polished }
            }
        }

        var weightedSquares = 0.0, weightTotal = 0.0, squares = 0.0
        for index in 0..<count {
            let residual = solution.residuals[index]
            weightedSquares += solution.weights[index] * residual * residual
            weightTotal += solution.weights[index]
            squares += residual * residual
        }
        let weightedMean = weightedSquares / max(weightTotal, 1e-300)
        let freedom = Double(count) / Double(count - parameterCount)
        let floor = configuration.minimumNoiseStandardDeviation
        let noiseVariance = max(weightedMean * freedom, floor * floor)
        guard noiseVariance.isFinite else { return nil }

        return NormalisedFamilyFit(
            parameters: solution.parameters,
            noiseVariance: noiseVariance,
            covariance: Self.covariance(of: solution, noiseVariance: noiseVariance),
            meanSquaredResidual: squares / Double(count),
            weightedMeanSquaredResidual: max(weightedMean, floor * floor)
        )
    }

    /// σ²·(JᵀWJ)⁻¹ over the parameters off their bounds (parameters on a bound count as
    /// fixed), with a growing ridge when the matrix is numerically singular (a parameter the
    /// data cannot pin down, such as a rate once the curve is flat).
    private static func covariance(of solution: LeastSquaresSolution, noiseVariance: Double) -> [Double] {
        let count = solution.parameters.count
        let free = (0..<count).filter { !solution.activeBounds[$0] }
        var covariance = [Double](repeating: 0, count: count * count)
        guard !free.isEmpty else { return covariance }
        let size = free.count
        var reduced = [Double](repeating: 0, count: size * size)
        for (row, j) in free.enumerated() {
            for (column, k) in free.enumerated() { reduced[row * size + column] = solution.normalMatrix[j * count + k] }
        }
        for ridge in [1e-10, 1e-6, 1e-3] {
            var regularised = reduced
            for index in 0..<size { regularised[index * size + index] += ridge * max(reduced[index * size + index], 1e-12) }
            guard let inverse = SmallLinearAlgebra.inverse(regularised, dimension: size),
                  inverse.allSatisfy(\.isFinite) else { continue }
            for (row, j) in free.enumerated() {
                for (column, k) in free.enumerated() { covariance[j * count + k] = noiseVariance * inverse[row * size + column] }
            }
            return covariance
        }
        return covariance
    }
}
