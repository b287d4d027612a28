import Foundation
import SweepCore

/// Prints expanded jobs as an aligned table, JSON or CSV.
struct JobWriter {
    let spec: SweepSpec
    let includeCommand: Bool

    /// Parameter columns: every leaf path, plus ladder size and budget parameters.
    var columns: [String] {
        var names = spec.parameters.map(\.dottedName).sorted()
        if let ladder = spec.ladder {
            names.append(contentsOf: ladder.sizeParameters)
            if let budget = ladder.budgetParameter { names.append(budget) }
        }
        return names
    }

    func argv(_ job: JobSpec) -> [String] {
        if let kernel = spec.kernel { return ["kernel:\(kernel.name)"] }
        let template = spec.command ?? .wandbDefault
        return template.argv(params: job.params, context: .init(program: spec.program, argsJSONFile: "$SWEEP_WORKDIR/params.json"))
    }

    func cells(_ job: JobSpec) -> [String] {
        var row = ["\(job.index)", "\(job.seed)"]
        if spec.ladder != nil { row.append(job.rung.map(String.init) ?? "") }
        row.append(String(job.configHash.prefix(12)))
        for column in columns {
            row.append(job.params[path: column.split(separator: ".").map(String.init)]?.displayText ?? "")
        }
        if includeCommand { row.append(argv(job).map(Self.shellQuoted).joined(separator: " ")) }
        return row
    }

    var header: [String] {
        var header = ["index", "seed"]
        if spec.ladder != nil { header.append("rung") }
        header.append("config_hash")
        header.append(contentsOf: columns)
        if includeCommand { header.append("command") }
        return header
    }

    func writeTable(_ jobs: [JobSpec], to output: inout some TextOutputStream) {
        output.write(TextTable.render(header: header, rows: jobs.map(cells)))
    }

    func writeJSON(_ jobs: [JobSpec], to output: inout some TextOutputStream) {
        output.write("[\n")
        for (position, job) in jobs.enumerated() {
            var line = "{\"index\":\(job.index),\"seed\":\(job.seed),"
            if let rung = job.rung { line += "\"rung\":\(rung)," }
            line += "\"config_hash\":\"\(job.configHash)\",\"params\":"
            job.params.writeJSON(into: &line)
            if includeCommand {
                line += ",\"argv\":"
                ParamValue.array(argv(job).map { .string($0) }).writeJSON(into: &line)
            }
            line += position == jobs.count - 1 ? "}\n" : "},\n"
            output.write(line)
        }
        output.write("]\n")
    }

    func writeCSV(_ jobs: [JobSpec], to output: inout some TextOutputStream) {
        output.write(TextTable.csv(header: header, rows: []))
        for job in jobs {
            output.write(cells(job).map(TextTable.csvField).joined(separator: ",") + "\n")
        }
    }

    /// Shows an argument as a POSIX shell would need it, for display only: Sweep itself never
    /// runs a shell.
    static func shellQuoted(_ argument: String) -> String {
        let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_=./:,+@%".contains($0) }
        if safe, !argument.isEmpty { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
