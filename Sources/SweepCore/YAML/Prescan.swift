/// Cheap checks on the raw text before it reaches the YAML parser: tabs in indentation (a
/// common mistake with a confusing parser message) and a bound on nesting depth, so that a
/// pathologically nested file is refused before a recursive parser could exhaust the stack.
enum Prescan {
    static func check(_ text: String, file: String, limits: LoadLimits, into diagnostics: inout Diagnostics) {
        var indentStack: [Int] = []
        var flowDepth = 0
        var line = 1
        var reportedDepth = false
        var inBlockScalar: Int? = nil  // indentation of the line that opened a block scalar
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            defer { line += 1 }
            let scalars = Array(rawLine.unicodeScalars)
            var indent = 0
            while indent < scalars.count, scalars[indent] == " " { indent += 1 }
            let contentStart = indent
            let isBlank = contentStart == scalars.count
                || scalars[contentStart] == "\r" || scalars[contentStart] == "#"
            if let opener = inBlockScalar {
                if isBlank || indent > opener { continue }
                inBlockScalar = nil
            }
            if contentStart < scalars.count, scalars[contentStart] == "\t" {
                diagnostics.error(
                    "tab character in indentation; YAML indents with spaces only (replace the tab with spaces)",
                    at: SourceLocation(file: file, line: line, column: contentStart + 1))
                continue
            }
            if isBlank { continue }
            if flowDepth == 0 {
                while let top = indentStack.last, top >= indent { indentStack.removeLast() }
                indentStack.append(indent)
            }
            // Nodes opened on this line: compact "- " items, "key: " pairs and flow brackets.
            var opened = 0
            var column = contentStart
            var quote: Unicode.Scalar? = nil
            var previous: Unicode.Scalar = " "
            while column < scalars.count {
                let character = scalars[column]
                if let open = quote {
                    if character == open { quote = nil }
                } else {
                    switch character {
                    case "\"", "'":
                        if previous == " " || previous == "[" || previous == "{" || previous == "," { quote = character }
                    case "#" where previous == " ":
                        column = scalars.count
                        continue
                    case "[", "{":
                        flowDepth += 1
                        opened += 1
                    case "]", "}":
                        flowDepth = max(0, flowDepth - 1)
                    case "-" where previous == " " && column + 1 < scalars.count && scalars[column + 1] == " ":
                        opened += 1
                    case ":" where column + 1 == scalars.count || scalars[column + 1] == " ":
                        opened += 1
                    case "|", ">":
                        if previous == " " && flowDepth == 0 { inBlockScalar = indent }
                    default:
                        break
                    }
                }
                let depthBound = indentStack.count + opened + flowDepth
                if depthBound > limits.maxNestingDepth, !reportedDepth {
                    reportedDepth = true
                    diagnostics.error(
                        "nesting is deeper than \(limits.maxNestingDepth) levels; a sweep file is configuration and never needs this",
                        at: SourceLocation(file: file, line: line, column: column + 1))
                    return
                }
                previous = character
                column += 1
            }
        }
    }
}
