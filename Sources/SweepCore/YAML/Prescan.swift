/// Cheap checks on the raw text before it reaches the YAML parser:
/// - tabs in indentation (a common mistake with a confusing parser message);
/// - anchors and aliases, refused before the parser expands them (an "alias bomb" of a
///   few lines would otherwise expand to gigabytes);
/// - a bound on nesting depth, so that a pathologically nested file is refused before a
///   recursive parser could exhaust the stack. The bound over-estimates the real depth, so
///   it is checked against twice the limit; the exact limit is enforced after parsing.
enum Prescan {
    static func check(_ text: String, file: String, limits: LoadLimits, into diagnostics: inout Diagnostics) {
        var indentStack: [Int] = []
        var flowDepth = 0
        var line = 1
        var reportedDepth = false
        var reportedAnchors = 0
        var inBlockScalar: Int? = nil  // column of the key that opened a block scalar
        var quote: Unicode.Scalar? = nil  // quoted scalars may span lines
        var firstTooDeep: SourceLocation? = nil
        // The bound passed the limit at a character that opens a level (":", "- ", "[", "{"):
        // the node too deep is the next one, where the exact check after parsing points.
        var tooDeepAtNextNode = false
        // The indentation of the line whose block plain scalar was still open at its end: a
        // more indented line after it continues that scalar ("*must*" there is text, not an
        // alias). A comment ends a plain scalar.
        var plainScalarLine: Int? = nil
        var sixthAnchor: SourceLocation? = nil
        let depthLimit = 2 * limits.maxNestingDepth
        for scalars in lines(of: text) {
            defer { line += 1 }
            var indent = 0
            while indent < scalars.count, scalars[indent] == " " { indent += 1 }
            // (Parenthesized: `a && b || c` read scalars[indent] past the end of a line that
            // continued a quoted scalar with nothing but spaces; found by YAMLFuzzTests.)
            let isBlank = quote == nil && (indent == scalars.count || scalars[indent] == "\r" || scalars[indent] == "#")
            if let opener = inBlockScalar {
                if isBlank || indent > opener { continue }
                inBlockScalar = nil
            }
            if quote != nil { indent = 0 }
            if quote == nil, indent < scalars.count, scalars[indent] == "\t" {
                diagnostics.error(
                    "tab character in indentation; YAML indents with spaces only (replace the tab with spaces)",
                    at: SourceLocation(file: file, line: line, column: indent + 1))
                continue
            }
            if isBlank { continue }
            if quote == nil, flowDepth == 0, let open = plainScalarLine {
                if indent > open { continue }
                plainScalarLine = nil
            }
            if flowDepth == 0, quote == nil {
                while let top = indentStack.last, top >= indent { indentStack.removeLast() }
                indentStack.append(indent)
            }
            // Walk the line: `atNodeStart` is true where a new node may begin (after the
            // indentation, "- ", ": ", and inside flow collections after "[", "{" and ",");
            // only there do brackets open collections and "&" / "*" start anchors and aliases.
            var opened = 0
            var column = indent
            var atNodeStart = quote == nil
            var keyStart = indent
            var plainOpen = false
            while column < scalars.count {
                let character = scalars[column]
                let next: Unicode.Scalar? = column + 1 < scalars.count ? scalars[column + 1] : nil
                let nextIsBlank = next == nil || next == " " || next == "\r"
                if let open = quote {
                    if character == open {
                        if open == "'", next == "'" { column += 2; continue }  // '' escapes a quote
                        quote = nil
                    } else if character == "\\", open == "\"" {
                        column += 1
                    }
                    column += 1
                    continue
                }
                if tooDeepAtNextNode, firstTooDeep == nil, character != " " {
                    firstTooDeep = SourceLocation(file: file, line: line, column: column + 1)
                }
                switch character {
                case " ":
                    break
                case "#" where column == indent || scalars[column - 1] == " ":
                    plainOpen = false
                    column = scalars.count
                    continue
                case "\"" where atNodeStart, "'" where atNodeStart:
                    quote = character
                    atNodeStart = false
                case "[" where atNodeStart || flowDepth > 0, "{" where atNodeStart || flowDepth > 0:
                    flowDepth += 1
                    atNodeStart = true
                case "]" where flowDepth > 0, "}" where flowDepth > 0:
                    flowDepth -= 1
                    atNodeStart = false
                case "," where flowDepth > 0:
                    atNodeStart = true
                case "-" where atNodeStart && nextIsBlank:
                    opened += 1
                    atNodeStart = true
                    keyStart = column + 2
                case "!" where atNodeStart:
                    // A tag (!!seq, !local) precedes its node: skip it, the node starts after.
                    while column < scalars.count, scalars[column] != " " { column += 1 }
                    continue
                case ":" where nextIsBlank || (flowDepth > 0 && (next == "," || next == "]" || next == "}")):
                    plainOpen = false  // the text before was a key
                    opened += 1
                    atNodeStart = true
                case "?" where atNodeStart && nextIsBlank:
                    atNodeStart = true
                case "&" where atNodeStart && !nextIsBlank, "*" where atNodeStart && !nextIsBlank:
                    var end = column + 1
                    while end < scalars.count, !" ,[]{}\r".unicodeScalars.contains(scalars[end]) { end += 1 }
                    let name = String(String.UnicodeScalarView(scalars[(column + 1)..<end]))
                    if reportedAnchors == 5 { sixthAnchor = SourceLocation(file: file, line: line, column: column + 1) }
                    if reportedAnchors < 5 {
                        let kind = character == "&" ? "anchor '&\(name)'" : "alias '*\(name)'"
                        diagnostics.error(
                            "\(kind): anchors and aliases are not supported in sweep files; write each value out in full",
                            at: SourceLocation(file: file, line: line, column: column + 1))
                    }
                    reportedAnchors += 1
                    column = end
                    // An anchor precedes its node; an alias is the node.
                    atNodeStart = character == "&"
                    continue
                case "|" where atNodeStart && flowDepth == 0, ">" where atNodeStart && flowDepth == 0:
                    inBlockScalar = keyStart
                    column = scalars.count
                    continue
                default:
                    if atNodeStart, flowDepth == 0 {
                        keyStart = column
                        plainOpen = true
                    }
                    atNodeStart = false
                }
                let depthBound = indentStack.count + opened + flowDepth
                if depthBound > limits.maxNestingDepth, firstTooDeep == nil, !tooDeepAtNextNode {
                    if ":-[{?".unicodeScalars.contains(character) {
                        tooDeepAtNextNode = true
                    } else {
                        firstTooDeep = SourceLocation(file: file, line: line, column: column + 1)
                    }
                }
                if depthBound > depthLimit, !reportedDepth {
                    reportedDepth = true
                    diagnostics.error(
                        "nesting is deeper than \(limits.maxNestingDepth) levels; a sweep file is configuration and never needs this",
                        at: firstTooDeep ?? SourceLocation(file: file, line: line, column: column + 1))
                    return
                }
                column += 1
            }
            plainScalarLine = plainOpen && quote == nil && flowDepth == 0 ? indent : nil
        }
        if reportedAnchors > 5, let sixthAnchor {
            diagnostics.error("\(reportedAnchors - 5) more anchors or aliases from here on; none are supported", at: sixthAnchor)
        }
    }

    /// Lines as YAML reads them: a line break is "\r\n", "\n" or a lone "\r".
    static func lines(of text: String) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if !previousWasCR { lines.append(current) }
                current = []
                previousWasCR = false
            } else if scalar == "\r" {
                lines.append(current)
                current = []
                previousWasCR = true
            } else {
                current.append(scalar)
                previousWasCR = false
            }
        }
        lines.append(current)
        return lines
    }
}
