import Foundation

/// The variable a power-law term of a loss law decays in.
public enum LadderVariable: String, Sendable, Hashable, Codable, CaseIterable {
    /// The parameter count N.
    case parameters
    /// The training tokens D.
    case tokens
    /// The training compute C ≈ 6·N·D.
    case compute

    /// The variable's value at a size; nil when it needs tokens and there are none.
    func value(parameters: Double, tokens: Double?) -> Double? {
        switch self {
        case .parameters: parameters
        case .tokens: tokens
        case .compute: tokens.map { LadderCompute.flops(parameters: parameters, tokens: $0) }
        }
    }

    /// The letter the variable has in formulas.
    var symbol: String {
        switch self {
        case .parameters: "N"
        case .tokens: "D"
        case .compute: "C"
        }
    }
}

/// The forms of loss law a ladder can fit.
public enum LossLawForm: String, Sendable, Hashable, Codable, CaseIterable {
    /// L(N, D) = E + A/N^α + B/D^β (Hoffmann et al. 2022).
    case joint
    /// L(N, D) = E + A/N^α + B/D^α: the joint law with one exponent for both terms, as Gadre
    /// et al. (2024) fit it to predict over-trained runs. One parameter fewer than `joint`,
    /// so it extrapolates more steadily from a few sizes.
    case equalExponents = "equal-exponents"
    /// L(N) = E + A/N^α.
    case parameters
    /// L(D) = E + B/D^β.
    case tokens
    /// L(C) = E + A/C^α with C = 6·N·D.
    case compute

    /// The variables of the form's power-law terms, in order.
    public var variables: [LadderVariable] {
        switch self {
        case .joint, .equalExponents: [.parameters, .tokens]
        case .parameters: [.parameters]
        case .tokens: [.tokens]
        case .compute: [.compute]
        }
    }

    /// Whether the form needs each point's training tokens.
    public var needsTokens: Bool { variables.contains(.tokens) || variables.contains(.compute) }

    /// Whether every term has the same exponent.
    public var sharesExponent: Bool { self == .equalExponents }

    /// The number of fitted parameters: E, and each term's coefficient and exponent (one
    /// exponent for all terms when they share it).
    public var parameterCount: Int { 1 + variables.count + (sharesExponent ? 1 : variables.count) }
}

/// One power-law term `coefficient / variable^exponent` of a loss law.
public struct PowerLawTerm: Sendable, Hashable, Codable {
    /// The variable the term decays in.
    public var variable: LadderVariable
    /// The coefficient (A or B), at least 0.
    public var coefficient: Double
    /// The exponent (α or β).
    public var exponent: Double

    /// A term.
    public init(variable: LadderVariable, coefficient: Double, exponent: Double) {
        self.variable = variable
        self.coefficient = coefficient
        self.exponent = exponent
    }
}

/// A fitted loss law: an irreducible loss E plus decaying power-law terms.
public struct LossLaw: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The law's form.
    public var form: LossLawForm
    /// E, the loss no size or amount of data removes.
    public var irreducibleLoss: Double
    /// The power-law terms, in the order of `form.variables`.
    public var terms: [PowerLawTerm]

    /// A law.
    public init(form: LossLawForm, irreducibleLoss: Double, terms: [PowerLawTerm]) {
        self.form = form
        self.irreducibleLoss = irreducibleLoss
        self.terms = terms
    }

    /// The predicted loss of a model of `parameters` parameters trained on `tokens` tokens;
    /// nil when the form needs tokens and none are given.
    public func loss(parameters: Double, tokens: Double?) -> Double? {
        var total = irreducibleLoss
        for term in terms {
            guard let value = term.variable.value(parameters: parameters, tokens: tokens) else { return nil }
            total += term.coefficient * exp(-term.exponent * log(value))
        }
        return total
    }

    /// The law as a formula, such as `L = 1.69 + 406/N^0.34 + 411/D^0.28`.
    public var description: String {
        var text = "L = \(LadderFormat.number(irreducibleLoss))"
        for term in terms {
            text += " + \(LadderFormat.number(term.coefficient))/\(term.variable.symbol)^\(LadderFormat.number(term.exponent))"
        }
        return text
    }
}

/// Compact number formatting for formulas, tables and messages.
enum LadderFormat {
    /// Four significant digits (`%.4g`).
    static func number(_ value: Double) -> String {
        String(format: "%.4g", value)
    }

    /// A size such as 70M, 1.4B or 12B.
    static func size(_ value: Double) -> String {
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
        for (scale, suffix) in units where abs(value) >= scale {
            return String(format: "%.3g", value / scale) + suffix
        }
        return String(format: "%.3g", value)
    }
}
