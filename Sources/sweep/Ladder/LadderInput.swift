import SweepPrediction

/// The observations of `sweep ladder fit`, read from its CSV and grouped by task.
struct LadderInput {
    /// Tasks in order of first appearance; a nil name when there is no task column.
    var tasks: [(String?, [LadderObservation])]

    static func read(_ command: LadderFitCommand) throws(LadderInputError) -> LadderInput {
        let file = try LadderCSV(path: command.csv)
        let size = try file.column(command.sizeColumn, flag: "--size-column")
        let metric = try file.column(command.metricColumn, flag: "--metric-column")
        let tokens = try command.tokensColumn.map { name throws(LadderInputError) in try file.column(name, flag: "--tokens-column") }
        let task = try command.taskColumn.map { name throws(LadderInputError) in try file.column(name, flag: "--task-column") }
        let accuracy = try command.accuracyColumn.map { name throws(LadderInputError) in try file.column(name, flag: "--accuracy-column") }
        let run = try command.runColumn.map { name throws(LadderInputError) in try file.column(name, flag: "--run-column") }
        var filters: [(Int, String)] = []
        for filter in command.filters {
            guard let equals = filter.firstIndex(of: "=") else {
                throw LadderInputError("error: --where '\(filter)' is not COLUMN=VALUE")
            }
            filters.append((try file.column(String(filter[..<equals]), flag: "--where"), String(filter[filter.index(after: equals)...])))
        }
        if !command.task.isEmpty && task == nil {
            throw LadderInputError("error: --task needs --task-column to say which column names the task")
        }

        var order: [String?] = []
        var groups: [String: [LadderObservation]] = [:]
        var untasked: [LadderObservation] = []
        for record in file.records {
            guard filters.allSatisfy({ record.fields[$0.0] == $0.1 }) else { continue }
            let name = task.map { record.fields[$0] }
            if let name, !command.task.isEmpty, !command.task.contains(name) { continue }
            var observation = LadderObservation(
                parameters: try file.number(record, column: size, positive: true, what: "a parameter count"),
                loss: try file.number(record, column: metric, positive: true, what: "a loss"))
            if let tokens { observation.tokens = try file.number(record, column: tokens, positive: true, what: "a token count") }
            if let accuracy { observation.accuracy = try file.number(record, column: accuracy, positive: false, what: "an accuracy") }
            if let run { observation.run = record.fields[run] }
            if let name {
                if groups[name] == nil { order.append(name) }
                groups[name, default: []].append(observation)
            } else {
                untasked.append(observation)
            }
        }
        let tasks: [(String?, [LadderObservation])] = task == nil ? [(nil, untasked)] : order.map { ($0, groups[$0!]!) }
        for requested in command.task where groups[requested] == nil {
            throw LadderInputError("\(command.csv): error: no rows for task '\(requested)'; the tasks are \(order.compactMap { $0 }.joined(separator: ", "))")
        }
        if tasks.allSatisfy({ $0.1.isEmpty }) {
            throw LadderInputError("\(command.csv): error: no rows left to fit\(filters.isEmpty ? "" : " after the --where filters")")
        }
        return LadderInput(tasks: tasks)
    }
}
