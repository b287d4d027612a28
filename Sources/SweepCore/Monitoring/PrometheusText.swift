/// Prometheus's text exposition format, version 0.0.4: for each metric family a `# HELP`
/// and a `# TYPE` line, then its samples. The coordinator and the worker describe their
/// figures as families (`CoordinatorMetrics`, `WorkerMetrics`) and this writes them.
public enum PrometheusText {
    /// The Content-Type of the exposition.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// One metric family: its name, help, type (`counter`, `gauge` or `histogram`) and samples.
    public struct Family: Sendable {
        public var name: String
        public var help: String
        public var type: String
        public var samples: [Sample]

        public init(name: String, help: String, type: String, samples: [Sample]) {
            self.name = name
            self.help = help
            self.type = type
            self.samples = samples
        }

        /// A counter with one unlabelled sample (the name should end in `_total`).
        public static func counter(_ name: String, _ help: String, _ value: Int) -> Family {
            Family(name: name, help: help, type: "counter", samples: [Sample(value: Double(value))])
        }

        /// A gauge with one unlabelled sample.
        public static func gauge(_ name: String, _ help: String, _ value: Double) -> Family {
            Family(name: name, help: help, type: "gauge", samples: [Sample(value: value)])
        }
    }

    /// Families named `PREFIX_name`: counters get `_total` appended.
    public struct Namespace: Sendable {
        public var prefix: String

        public init(_ prefix: String) { self.prefix = prefix }

        public func counter(_ name: String, _ help: String, _ value: Int) -> Family {
            .counter("\(prefix)_\(name)_total", help, value)
        }

        /// A counter whose samples are counts by one label's value.
        public func counter(_ name: String, _ help: String, by label: String, _ counts: [(String, Int)]) -> Family {
            Family(name: "\(prefix)_\(name)_total", help: help, type: "counter",
                   samples: counts.map { Sample(labels: [(label, $0.0)], value: Double($0.1)) })
        }

        public func gauge(_ name: String, _ help: String, _ value: Double) -> Family {
            .gauge("\(prefix)_\(name)", help, value)
        }
    }

    /// One sample: its labels, in order, and its value; `suffix` is added to the family's
    /// name (a histogram's `_bucket`, `_sum` and `_count`).
    public struct Sample: Sendable {
        public var suffix: String
        public var labels: [(name: String, value: String)]
        public var value: Double

        public init(suffix: String = "", labels: [(name: String, value: String)] = [], value: Double) {
            self.suffix = suffix
            self.labels = labels
            self.value = value
        }
    }

    /// The families as exposition text. A family without samples still has its HELP and
    /// TYPE lines, so that a scrape shows every name it may ever carry.
    public static func render(_ families: [Family]) -> String {
        var text = ""
        for family in families {
            text += "# HELP \(family.name) \(escapeHelp(family.help))\n# TYPE \(family.name) \(family.type)\n"
            for sample in family.samples {
                text += family.name + sample.suffix
                if !sample.labels.isEmpty {
                    text += "{" + sample.labels.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",") + "}"
                }
                text += " " + format(sample.value) + "\n"
            }
        }
        return text
    }

    /// Counts by a label's value (`code`, say), in the order of the values.
    public static func sorted(_ counts: [String: Int]) -> [(String, Int)] {
        counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Integers without a fraction; other numbers in Swift's shortest round-trip form.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A label value: backslash, double quote and line feed escaped.
    public static func escapeLabelValue(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A help text: backslash and line feed escaped.
    public static func escapeHelp(_ text: String) -> String {
        text.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }
}
