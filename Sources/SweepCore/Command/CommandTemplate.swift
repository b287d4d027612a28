import Foundation

/// A command line with W&B macros, turned into argv for one job. Never passed to a shell:
/// every parameter value becomes exactly one argument, whatever characters it holds.
public struct CommandTemplate: Sendable, Hashable, Codable {
    /// The W&B macros.
    public enum Macro: String, Sendable, Hashable, Codable, CaseIterable {
        /// `/usr/bin/env`.
        case env
        /// The Python interpreter (`python3` here; W&B uses `python`).
        case interpreter
        /// The sweep's `program`.
        case program
        /// `--name=value`, one argument per parameter.
        case args
        /// `name=value`, one argument per parameter.
        case argsNoHyphens = "args_no_hyphens"
        /// Like `args`, but `true` becomes `--name` and `false` is left out.
        case argsNoBooleanFlags = "args_no_boolean_flags"
        /// All parameters as one JSON argument.
        case argsJSON = "args_json"
        /// The path of a file holding all parameters as JSON.
        case argsJSONFile = "args_json_file"

        /// Whether the macro expands to any number of whole arguments, so that it must stand
        /// alone as a list item.
        public var isSpliced: Bool {
            switch self {
            case .args, .argsNoHyphens, .argsNoBooleanFlags: true
            default: false
            }
        }
    }

    /// A piece of one argument.
    public enum Segment: Sendable, Hashable, Codable {
        case literal(String)
        case macro(Macro)
    }

    /// The arguments, each a list of segments.
    public var arguments: [[Segment]]

    /// Creates a template from parsed arguments.
    public init(arguments: [[Segment]]) {
        self.arguments = arguments
    }

    /// W&B's default: `${env} ${interpreter} ${program} ${args}`.
    public static let wandbDefault = CommandTemplate(arguments: [
        [.macro(.env)], [.macro(.interpreter)], [.macro(.program)], [.macro(.args)],
    ])

    /// Whether the template uses a macro.
    public func uses(_ macro: Macro) -> Bool {
        arguments.contains { $0.contains(.macro(macro)) }
    }

    /// What the macros stand for outside the parameters.
    public struct Context: Sendable {
        /// The sweep's program.
        public var program: String?
        /// The interpreter for `${interpreter}`.
        public var interpreter: String
        /// The path `${args_json_file}` names (the worker writes the file).
        public var argsJSONFile: String?

        /// Creates a context.
        public init(program: String?, interpreter: String = "python3", argsJSONFile: String? = nil) {
            self.program = program
            self.interpreter = interpreter
            self.argsJSONFile = argsJSONFile
        }
    }

    /// The argv of one job: parameters from `params` (a top-level object).
    public func argv(params: ParamValue, context: Context) -> [String] {
        let members = params.objectValue ?? [:]
        let names = members.keys.sorted()
        var argv: [String] = []
        for argument in arguments {
            if argument.count == 1, case .macro(let macro) = argument[0], macro.isSpliced {
                for name in names {
                    let value = members[name]!
                    switch macro {
                    case .args:
                        argv.append("--\(name)=\(value.argumentText)")
                    case .argsNoHyphens:
                        argv.append("\(name)=\(value.argumentText)")
                    case .argsNoBooleanFlags:
                        if case .bool(let flag) = value {
                            if flag { argv.append("--\(name)") }
                        } else {
                            argv.append("--\(name)=\(value.argumentText)")
                        }
                    default:
                        break
                    }
                }
                continue
            }
            var text = ""
            for segment in argument {
                switch segment {
                case .literal(let literal): text += literal
                case .macro(.env): text += "/usr/bin/env"
                case .macro(.interpreter): text += context.interpreter
                case .macro(.program): text += context.program ?? ""
                case .macro(.argsJSON): text += params.canonicalJSON
                case .macro(.argsJSONFile): text += context.argsJSONFile ?? "params.json"
                case .macro(.args), .macro(.argsNoHyphens), .macro(.argsNoBooleanFlags):
                    break  // Rejected by the decoder when not alone in an argument.
                }
            }
            argv.append(text)
        }
        return argv
    }

    /// Splits one template argument into literal text and `${macro}` references.
    /// Returns the segments, or the unknown macro names found.
    public static func parseArgument(_ text: String) -> (segments: [Segment], unknown: [String]) {
        var segments: [Segment] = []
        var unknown: [String] = []
        var literal = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            literal += rest[..<start.lowerBound]
            let name = String(rest[start.upperBound..<end])
            if let macro = Macro(rawValue: name) {
                if !literal.isEmpty { segments.append(.literal(literal)) }
                literal = ""
                segments.append(.macro(macro))
            } else {
                unknown.append(name)
                literal += "${\(name)}"
            }
            rest = rest[rest.index(after: end)...]
        }
        literal += rest
        if !literal.isEmpty || segments.isEmpty { segments.append(.literal(literal)) }
        return (segments, unknown)
    }
}
