/// Aligned text tables, CSV and JSON for rows of text cells.
enum TextTable {
    /// Columns padded to their widest cell (at most `maxWidth`, longer cells cut with "…");
    /// the last column is never cut.
    static func render(header: [String], rows: [[String]], maxWidth: Int = 40) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], min(cell.count, maxWidth))
            }
        }
        var output = ""
        for row in all {
            var line = ""
            for (index, cell) in row.enumerated() {
                let isLast = index == row.count - 1
                let text = cell.count > maxWidth && !isLast ? String(cell.prefix(maxWidth - 1)) + "…" : cell
                line += isLast ? text : text + String(repeating: " ", count: max(0, widths[index] - text.count) + 2)
            }
            output += line + "\n"
        }
        return output
    }

    /// RFC 4180 CSV.
    static func csv(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// Quotes a field holding commas, quotes or line breaks.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}
