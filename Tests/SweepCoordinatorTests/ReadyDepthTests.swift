@testable import SweepCoordinator
import Testing

/// How many ready jobs the coordinator keeps per slot (`Coordinator.readyJobsPerSlot`).
@Suite("Ready jobs per slot")
struct ReadyDepthTests {
    static func configuration(perSlot: Int = 2, max: Int = 8, work: Duration = .milliseconds(20)) -> CoordinatorConfiguration {
        var configuration = CoordinatorConfiguration(bind: "tcp://127.0.0.1:0", coordinatorID: "test")
        configuration.readyJobsPerSlot = perSlot
        configuration.maxReadyJobsPerSlot = max
        configuration.readyWorkPerSlot = work
        return configuration
    }

    func depth(_ recent: Duration, _ configuration: CoordinatorConfiguration = Self.configuration()) -> Int {
        Coordinator.readyJobsPerSlot(recentJobTime: recent, configuration: configuration)
    }

    @Test("Jobs of 10 ms or more: two per slot, as before")
    func longerJobsKeepTwo() {
        #expect(depth(.milliseconds(10)) == 2)
        #expect(depth(.milliseconds(15)) == 2)
        #expect(depth(.milliseconds(500)) == 2)
        #expect(depth(.milliseconds(1999)) == 2)
    }

    @Test("Shorter jobs: as many as make up 20 ms of work, rounded up")
    func shortJobsFillTheWork() {
        #expect(depth(.microseconds(9_999)) == 3)
        #expect(depth(.milliseconds(5)) == 4)
        #expect(depth(.microseconds(4_000)) == 5)
        #expect(depth(.microseconds(2_600)) == 8)
    }

    @Test("Never more than the maximum, however short the jobs")
    func capped() {
        #expect(depth(.microseconds(2_400)) == 8)
        #expect(depth(.microseconds(300)) == 8)
        #expect(depth(.nanoseconds(1)) == 8)
        #expect(depth(.zero) == 8)
        #expect(depth(.microseconds(300), Self.configuration(max: 5)) == 5)
    }

    @Test("A maximum at or below the per-slot count changes nothing; zero per slot stays off")
    func floorRules() {
        #expect(depth(.microseconds(300), Self.configuration(perSlot: 2, max: 2)) == 2)
        #expect(depth(.microseconds(300), Self.configuration(perSlot: 3, max: 1)) == 3)
        #expect(depth(.microseconds(300), Self.configuration(perSlot: 0, max: 8)) == 0)
        #expect(depth(.microseconds(300), Self.configuration(perSlot: 2, max: 0)) == 2)
    }
}
