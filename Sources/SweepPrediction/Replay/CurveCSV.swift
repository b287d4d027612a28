/// The replay CSV: `curve_id,step,value[,cost]`, a header line first, one row per point.
/// Curves come in the order of their first row; a curve's rows are sorted by step (a step
/// given twice is an error). Parsing is pure: the caller reads the file.
public enum CurveCSV {
    /// A row that is not what the format expects, with where.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        /// The file, as the caller named it.
        public var file: String
        /// 1-based line.
        public var line: Int
        /// 1-based column (character) where the bad field starts.
        public var column: Int
        /// What was expected.
        public var message: String

        /// `file:line:column: message`.
        public var description: String { "\(file):\(line):\(column): \(message)" }
    }

    /// Parses `text`, named `file` in errors.
    public static func parse(_ text: String, file: String) throws(ParseError) -> [ReplayCurve] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        guard let header = lines.first else {
            throw ParseError(file: file, line: 1, column: 1, message: "the file is empty; expected the header 'curve_id,step,value' or 'curve_id,step,value,cost'")
        }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " \t") }
        guard names == ["curve_id", "step", "value"] || names == ["curve_id", "step", "value", "cost"] else {
            throw ParseError(file: file, line: 1, column: 1, message: "expected the header 'curve_id,step,value' or 'curve_id,step,value,cost', found '\(header.prefix(80))'")
        }
        let hasCost = names.count == 4
        var order: [String] = []
        var points: [String: [(step: Double, value: Double, cost: Double?, line: Int)]] = [:]
        for (offset, line) in lines.enumerated().dropFirst() {
            let lineNumber = offset + 1
            if line.allSatisfy(\.isWhitespace) { continue }
            var fields: [(text: Substring, column: Int)] = []
            var column = 1
            for field in line.split(separator: ",", omittingEmptySubsequences: false) {
                fields.append((field, column))
                column += field.count + 1
            }
            guard fields.count == names.count else {
                throw ParseError(file: file, line: lineNumber, column: 1, message: "expected \(names.count) fields (\(names.joined(separator: ","))), found \(fields.count)")
            }
            let id = fields[0].text.trimmingCharacters(in: " \t")
            guard !id.isEmpty else { throw ParseError(file: file, line: lineNumber, column: 1, message: "expected a curve_id, found an empty field") }
            func number(_ index: Int) throws(ParseError) -> Double {
                let text = fields[index].text.trimmingCharacters(in: " \t")
                guard let value = Double(text), value.isFinite else {
                    throw ParseError(file: file, line: lineNumber, column: fields[index].column,
                                     message: "expected a finite number for '\(names[index])', found '\(text.prefix(40))'")
                }
                return value
            }
            let step = try number(1), value = try number(2)
            var cost: Double?
            if hasCost {
                cost = try number(3)
                if let cost, cost < 0 {
                    throw ParseError(file: file, line: lineNumber, column: fields[3].column, message: "expected a cost of zero or more, found \(cost)")
                }
            }
            if points[id] == nil { order.append(id) }
            points[id, default: []].append((step, value, cost, lineNumber))
        }
        var curves: [ReplayCurve] = []
        for id in order {
            let rows = (points[id] ?? []).sorted { $0.step < $1.step || ($0.step == $1.step && $0.line < $1.line) }
            for (a, b) in zip(rows, rows.dropFirst()) where a.step == b.step {
                throw ParseError(file: file, line: b.line, column: 1, message: "curve '\(id)' has step \(b.step) twice (also on line \(a.line))")
            }
            curves.append(ReplayCurve(id: id, steps: rows.map(\.step), values: rows.map(\.value), costs: hasCost ? rows.map { $0.cost ?? 0 } : nil))
        }
        return curves
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
