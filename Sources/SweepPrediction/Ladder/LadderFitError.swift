/// Why a ladder fit could not be made, with what to do about it.
public struct LadderFitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Code: String, Sendable, Hashable, Codable {
        case tooFewPoints, nonPositiveValue, nonFiniteValue, missingTokens, missingAccuracy, tooFewDistinctValues, noConvergence, invalidConfiguration
    }

    /// The kind of failure.
    public var code: Code
    /// A message for the user: the offending value and what is accepted.
    public var message: String

    /// An error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
