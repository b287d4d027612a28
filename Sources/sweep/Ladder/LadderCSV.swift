import Foundation

/// A CSV file read for `sweep ladder fit`: a header row naming the columns, then records.
/// RFC 4180 quoting; fields may span lines inside quotes.
struct LadderCSV {
    /// One record with the line it starts on (1-based, counting the header as line 1).
    struct Record {
        var line: Int
        var fields: [String]
    }

    var path: String
    var header: [String]
    var records: [Record]

    /// Reads and splits `path`; errors name the file and line.
    init(path: String) throws(LadderInputError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LadderInputError("\(path): error: cannot read the file (does it exist and is it readable?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LadderInputError("\(path): error: the file is not UTF-8 text")
        }
        self.path = path
        var rows = try Self.split(text, path: path)
        guard !rows.isEmpty else { throw LadderInputError("\(path): error: the file is empty; expected a header row naming the columns") }
        header = rows.removeFirst().fields.map { $0.trimmingCharacters(in: .whitespaces) }
        records = rows.filter { !($0.fields.count == 1 && $0.fields[0].isEmpty) }
        for record in records where record.fields.count != header.count {
            throw LadderInputError("\(path):\(record.line): error: expected \(header.count) fields as in the header, found \(record.fields.count)")
        }
    }

    /// The index of the column called `name`, or an error listing the columns there are.
    func column(_ name: String, flag: String) throws(LadderInputError) -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw LadderInputError("\(path):1: error: no column '\(name)' (named by \(flag)); the columns are \(header.joined(separator: ", "))")
        }
        return index
    }

    /// The number in a field, or an error with file, line, column and the value found.
    func number(_ record: Record, column: Int, positive: Bool, what: String) throws(LadderInputError) -> Double {
        let text = record.fields[column].trimmingCharacters(in: .whitespaces)
        guard let value = Double(text), value.isFinite else {
            throw LadderInputError("\(path):\(record.line): column \(column + 1) ('\(header[column])'): error: expected \(what) as a number such as 1.5e9, found '\(text)'")
        }
        if positive && value <= 0 {
            throw LadderInputError("\(path):\(record.line): column \(column + 1) ('\(header[column])'): error: expected \(what) greater than 0, found '\(text)'")
        }
        return value
    }

    private static func split(_ text: String, path: String) throws(LadderInputError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1, recordLine = 1
        var characters = text.makeIterator()
        var pending: Character? = characters.next()
        while let character = pending {
            pending = characters.next()
            if quoted {
                if character == "\"" {
                    if pending == "\"" {
                        field.append("\"")
                        pending = characters.next()
                    } else {
                        quoted = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty:
                quoted = true
            case ",":
                fields.append(field)
                field = ""
            case "\n", "\r\n", "\r":
                fields.append(field)
                records.append(Record(line: recordLine, fields: fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            default:
                field.append(character)
            }
        }
        if quoted { throw LadderInputError("\(path):\(recordLine): error: a quoted field is not closed before the end of the file") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }
}

/// A problem with `sweep ladder fit`'s input, already worded for the terminal.
struct LadderInputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
