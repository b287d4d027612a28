/// Renders diagnostics for a terminal, compiler style: the message line, then the source
/// line and a caret under the column.
public enum DiagnosticRenderer {
    /// `file:line:col: error: message`, followed by the offending line and a caret when the
    /// source text is available.
    public static func render(_ diagnostic: Diagnostic, source: String?) -> String {
        var output = diagnostic.description
        guard let source, diagnostic.location.line >= 1 else { return output }
        var lineNumber = 1
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            if lineNumber == diagnostic.location.line {
                let text = line.hasSuffix("\r") ? line.dropLast() : line
                guard text.count <= 200 else { return output }
                let shown = String(text).replacingTabs()
                let prefix = String(text.unicodeScalars.prefix(max(0, diagnostic.location.column - 1)))
                let caretColumn = prefix.replacingTabs().unicodeScalars.count
                output += "\n" + shown + "\n" + String(repeating: " ", count: caretColumn) + "^"
                break
            }
            lineNumber += 1
        }
        return output
    }
}

private extension String {
    /// Tabs shown as single spaces so the caret lines up.
    func replacingTabs() -> String {
        String(unicodeScalars.map { $0 == "\t" ? " " : Character($0) })
    }
}
