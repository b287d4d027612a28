import ArgumentParser

/// The one executable: every user-facing command is a subcommand of `sweep`.
@main
struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Distributed hyperparameter and model-ladder sweeps with prediction-based early stopping.",
        discussion: """
            Write a sweep in YAML (W&B sweep files work unchanged), check it with `sweep validate`, \
            and see the jobs it expands to with `sweep expand`.
            """,
        version: SweepVersion.current,
        subcommands: [ValidateCommand.self, ExpandCommand.self, SubmitCommand.self, StatusCommand.self, ResultsCommand.self, QueryCommand.self, ReplayCommand.self, CancelCommand.self, LogsCommand.self, UpCommand.self, CoordinatorCommand.self, WorkerCommand.self, WorkersCommand.self, DatabaseCommand.self, KeysCommand.self, LadderCommand.self, BenchCommand.self]
    )
}

/// The release this binary belongs to.
enum SweepVersion {
    static let current = "0.1.0"
}
