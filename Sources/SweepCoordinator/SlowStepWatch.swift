import Logging

/// Names a step that takes long in the log: a warning every `threshold` while it runs, and
/// one with its duration when a slow step ends. The coordinator's shutdown runs each of its
/// steps under one, so a shutdown that does not end shows where it waits.
struct SlowStepWatch: Sendable {
    var logger: Logger
    var threshold: Duration = .seconds(5)

    /// Runs `step` on the caller's actor.
    func run(_ what: String, isolation: isolated (any Actor)? = #isolation, _ step: () async -> Void) async {
        let start = ContinuousClock.now
        let watch = Task { [logger, threshold] in
            while !Task.isCancelled {
                try? await Task.sleep(for: threshold)
                if Task.isCancelled { return }
                logger.warning("coordinator still stopping", metadata: ["sweep.coordinator.step": "\(what)", "sweep.duration": "\(ContinuousClock.now - start)"])
            }
        }
        await step()
        watch.cancel()
        let elapsed = ContinuousClock.now - start
        if elapsed >= threshold {
            logger.warning("slow shutdown step", metadata: ["sweep.coordinator.step": "\(what)", "sweep.duration": "\(elapsed)"])
        }
    }
}
