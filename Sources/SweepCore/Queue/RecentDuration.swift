extension Duration {
    /// An exponentially weighted average of how long recent jobs took, the newest weighing a
    /// fifth; the first sample is the average. The coordinator keeps one per worker (ready
    /// jobs), the worker one of its own attempts (report linger).
    public static func recentAverage(_ average: Duration?, adding sample: Duration) -> Duration {
        average.map { $0 * 0.8 + sample * 0.2 } ?? sample
    }
}
