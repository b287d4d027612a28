import Foundation
@testable import SweepCoordinator
import SweepPrediction
import SweepStore
import SweepWire
import Testing

/// Judging a sweep's new points off the actor: the same decisions, in the same order, as
/// judging them one by one.
@Suite("Judging points off the actor")
struct JudgeTests {
    /// A `threshold` sweep on `loss` (minimized): a run whose loss is above 1.0 from step 2 on
    /// is stopped; `target` ends the sweep.
    static func state(target: Double? = nil) -> EarlyStoppingState {
        var rule = StoppingRule(kind: .threshold)
        rule.minSteps = 2
        rule.value = 1.0
        return EarlyStoppingState(rule: rule, metric: "loss", target: target, curves: SweepCurves(direction: .minimize),
                                  forecaster: rule.forecaster.forecaster())
    }

    static func point(_ job: Int64, _ step: Int64, _ value: Double, attempt: Int = 1, name: String = "loss") -> MetricPoint {
        MetricPoint(job: job, attempt: attempt, step: step, name: name, value: value)
    }

    @Test("each point is judged in order; a stopped run's later points are neither judged nor kept; other metrics are ignored")
    func judgesInOrder() {
        let points = [
            Self.point(1, 1, 2.0), Self.point(2, 1, 0.5), Self.point(1, 2, 1.5), Self.point(2, 2, 0.4, name: "accuracy"),
            Self.point(2, 2, 0.3), Self.point(1, 3, 1.4), Self.point(2, 3, 0.2),
        ]
        var judgedState = Self.state()
        let judged = Coordinator.judge(sweep: 9, state: &judgedState, points: points, now: .now, stopping: [], newestOnly: false)
        // Steps 2 and 3 of run 2 are judged continue; run 1 is stopped at step 2 and its step 3
        // is not taken in.
        #expect(judged.records.map { "\($0.job)@\($0.step):\($0.decision)" } == ["1@2:stop", "2@2:continue", "2@3:continue"])
        #expect(judged.records.allSatisfy { $0.sweep == 9 && $0.attempt == 1 })
        #expect(judged.stops.map(\.attempt) == [AttemptID(job: 1, attempt: 1)])
        #expect(judged.stops.first?.reason.hasPrefix("early stop (threshold): ") == true)
        #expect(judgedState.curves[1]?.state == .stopped)
        #expect(judgedState.curves[1]?.steps == [1, 2])
        #expect(judgedState.curves[2]?.steps == [1, 2, 3])
        #expect(judged.reachedTarget == nil)
    }

    @Test("attempts already being stopped are not judged; an older attempt's points are dropped, a newer one's restart the curve")
    func attempts() {
        var state = Self.state()
        state.attempts = [1: 1, 2: 2]
        state.curves.record(run: 2, step: 1, value: 0.9)
        let points = [Self.point(1, 2, 5.0), Self.point(2, 2, 5.0, attempt: 1), Self.point(3, 2, 0.5, attempt: 2), Self.point(3, 3, 0.4, attempt: 2)]
        let judged = Coordinator.judge(sweep: 1, state: &state, points: points, now: .now, stopping: [AttemptID(job: 1, attempt: 1)], newestOnly: false)
        #expect(judged.records.map { "\($0.job)@\($0.step)" } == ["3@2", "3@3"])
        #expect(judged.stops.isEmpty)
        #expect(state.curves[2]?.steps == [1])
        #expect(state.attempts[3] == 2)
    }

    @Test("behind the metrics, each run is judged at its newest point only, and every point still joins its curve")
    func newestOnly() {
        let points = [Self.point(1, 2, 0.5), Self.point(2, 2, 0.5), Self.point(1, 3, 0.4), Self.point(1, 4, 3.0), Self.point(2, 3, 0.3)]
        var judgedState = Self.state()
        let judged = Coordinator.judge(sweep: 1, state: &judgedState, points: points, now: .now, stopping: [], newestOnly: true)
        #expect(judged.records.map { "\($0.job)@\($0.step):\($0.decision)" } == ["1@4:stop", "2@3:continue"])
        #expect(judgedState.curves[1]?.steps == [2, 3, 4])
        #expect(judgedState.curves[2]?.steps == [2, 3])
    }

    @Test("the first point at or better than metric.target ends the sweep once")
    func target() {
        let points = [Self.point(1, 1, 0.5), Self.point(2, 1, 0.05), Self.point(1, 2, 0.01)]
        var judgedState = Self.state(target: 0.1)
        let judged = Coordinator.judge(sweep: 1, state: &judgedState, points: points, now: .now, stopping: [], newestOnly: false)
        #expect(judged.reachedTarget?.job == 2 && judged.reachedTarget?.value == 0.05)
        #expect(judgedState.targetReached)
        judgedState.curves = SweepCurves(direction: .minimize)
        let again = Coordinator.judge(sweep: 1, state: &judgedState, points: [Self.point(3, 1, 0.01)], now: .now, stopping: [], newestOnly: false)
        #expect(again.reachedTarget == nil)
    }

    @Test("several sweeps are judged off the actor in one call; each state comes back changed, with its judgement")
    func batch() async {
        let work = [
            SweepJudging(sweep: 1, state: Self.state(), points: [Self.point(1, 2, 3.0)], stopping: []),
            SweepJudging(sweep: 2, state: Self.state(), points: [Self.point(5, 2, 0.5), Self.point(6, 2, 0.6)], stopping: []),
        ]
        let judged = await Coordinator.judge(work, now: .now, newestOnly: false)
        #expect(judged.map(\.sweep) == [1, 2])
        #expect(judged[0].judgement?.stops.map(\.attempt.job) == [1] && judged[0].state.curves[1]?.state == .stopped)
        #expect(judged[1].judgement?.records.map(\.job) == [5, 6] && judged[1].judgement?.stops.isEmpty == true)
        #expect(judged[1].state.curves.runs.count == 2)
    }

    @Test("a stop that could not be carried out is taken back: the run is running again, and how it ends decides")
    func resume() {
        var curves = SweepCurves(direction: .minimize)
        curves.record(run: 1, step: 1, value: 0.5)
        curves.record(run: 2, step: 1, value: 0.4)
        curves.finish(run: 1, as: .stopped)
        curves.finish(run: 2, as: .completed)
        curves.resume(run: 1)
        curves.resume(run: 2)
        #expect(curves[1]?.state == .running)
        #expect(curves[2]?.state == .completed && curves.incumbent == 0.4)
        curves.finish(run: 1, as: .completed)
        #expect(curves.completedRuns == [2, 1])
    }
}
