import Testing
@testable import SweepWorker

/// When a worker's new report waits for company (`Worker.lingers`).
@Suite("Report linger rule")
struct ReportLingerRuleTests {
    @Test("Lingers while others run and recent attempts were shorter than 30 lingers")
    func lingersForShortJobs() {
        #expect(Worker.lingers(.milliseconds(1), recentRunTime: .microseconds(400), othersRunning: true))
        #expect(Worker.lingers(.milliseconds(1), recentRunTime: .milliseconds(29), othersRunning: true))
    }

    @Test("Never for jobs of 30 lingers or more: the linger would cost a slot over 3% of its time")
    func notForLongJobs() {
        #expect(!Worker.lingers(.milliseconds(1), recentRunTime: .milliseconds(30), othersRunning: true))
        #expect(!Worker.lingers(.milliseconds(1), recentRunTime: .milliseconds(50), othersRunning: true))
        #expect(!Worker.lingers(.milliseconds(1), recentRunTime: .seconds(3600), othersRunning: true))
    }

    @Test("Never when nothing else runs, before any attempt has ended, or with no linger")
    func notWithoutReason() {
        #expect(!Worker.lingers(.milliseconds(1), recentRunTime: .microseconds(400), othersRunning: false))
        #expect(!Worker.lingers(.milliseconds(1), recentRunTime: nil, othersRunning: true))
        #expect(!Worker.lingers(.zero, recentRunTime: .microseconds(400), othersRunning: true))
    }
}
