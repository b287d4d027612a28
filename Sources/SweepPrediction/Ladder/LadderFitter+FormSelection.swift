import Foundation

/// How the loss law's form was chosen when several were weighed: each candidate is fitted
/// without the ladder's largest model and scored on how well it predicts that model's
/// points, the same extrapolation a target asks for, made one rung earlier.
public struct LossLawFormSelection: Sendable, Hashable, Codable {
    /// One form weighed.
    public struct Candidate: Sendable, Hashable, Codable {
        /// The form.
        public var form: LossLawForm
        /// The mean |log L̂ − log L| over the held-out points (about the mean relative error);
        /// nil when the form could not be fitted without them.
        public var heldOutError: Double?
        /// Why the form could not be scored, when it could not.
        public var note: String?
    }

    /// The parameter count of the held-out model.
    public var heldOutParameters: Double
    /// The number of held-out points (that model's runs and checkpoints).
    public var heldOutPoints: Int
    /// The forms weighed, the configured form first.
    public var candidates: [Candidate]
    /// The form fitted: the candidate with the smallest held-out error; the earlier
    /// candidate on a tie (errors within a millionth of each other), and the configured form
    /// when no candidate could be scored.
    public var chosen: LossLawForm

    /// A one-line account, such as `equal-exponents chosen: predicting the 412M model from
    /// the smaller ones, mean error 0.4% (joint 2.9%)`.
    public var summary: String {
        let scores = candidates.filter { $0.form != chosen }.map { candidate in
            "\(candidate.form.rawValue) \(candidate.heldOutError.map { LadderFormat.number(100 * $0) + "%" } ?? "not fitted")"
        }
        let own = candidates.first { $0.form == chosen }?.heldOutError
        guard let own else {
            return "\(chosen.rawValue) fitted: no form could be scored on the \(LadderFormat.size(heldOutParameters)) model without it"
        }
        return "\(chosen.rawValue) chosen: predicting the \(LadderFormat.size(heldOutParameters)) model (\(heldOutPoints) points) from the smaller ones, mean error \(LadderFormat.number(100 * own))% (\(scores.joined(separator: ", ")))"
    }
}

extension LadderFitter {
    /// Held-out errors closer than this fraction of each other are a tie.
    static let tieTolerance = 1e-6

    /// Chooses among the configuration's ``LadderFitConfiguration/forms`` by fitting each without the largest model and
    /// predicting it; nil when there is nothing to choose.
    func selectForm(_ observations: [LadderObservation]) -> LossLawFormSelection? {
        let forms = configuration.forms
        guard forms.count > 1, let largest = observations.map(\.parameters).max() else { return nil }
        let isHeldOut = { (observation: LadderObservation) in observation.parameters >= largest * (1 - 1e-9) }
        let training = observations.filter { !isHeldOut($0) }
        let heldOut = observations.filter(isHeldOut)
        let fitter = LossLawFitter(configuration: configuration)
        var candidates: [LossLawFormSelection.Candidate] = []
        for form in forms {
            do {
                let problem = try LossLawFitter.Problem(training, form: form)
                guard let (solution, _) = fitter.fit(problem) else {
                    candidates.append(.init(form: form, heldOutError: nil, note: "no starting point converged without the largest model"))
                    continue
                }
                let law = problem.law(solution.parameters)
                let errors = heldOut.compactMap { point in law.loss(parameters: point.parameters, tokens: point.tokens).map { abs(log($0 / point.loss)) } }
                let error = errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count)
                candidates.append(.init(form: form, heldOutError: error?.isFinite == true ? error : nil, note: nil))
            } catch let error as LadderFitError {
                candidates.append(.init(form: form, heldOutError: nil, note: "without the largest model: \(error.message)"))
            } catch {
                candidates.append(.init(form: form, heldOutError: nil, note: "\(error)"))
            }
        }
        var chosen = configuration.form
        var best = Double.infinity
        for candidate in candidates {
            // Errors equal to rounding (two fits that reached the same law) are a tie.
            if let error = candidate.heldOutError, error < best * (1 - Self.tieTolerance) {
                best = error
                chosen = candidate.form
            }
        }
        return LossLawFormSelection(heldOutParameters: largest, heldOutPoints: heldOut.count, candidates: candidates, chosen: chosen)
    }
}
