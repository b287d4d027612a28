import Foundation
import Testing

@testable import sweep

@Suite("The machine's CPU shares the benchmarks print (/proc/stat)")
struct MachineCPUTests {
    @Test("the cpu line is read as busy (user nice system irq softirq), idle (idle iowait) and steal")
    func parsesTheAggregateLine() throws {
        let text = """
            cpu  176184 10 21421 117682 951 3 1529 1059 0 0
            cpu0 88000 5 10700 58800 470 1 760 530 0 0
            intr 123
            """
        let cpu = try #require(MachineCPU(procStat: text))
        #expect(cpu == MachineCPU(busy: 176_184 + 10 + 21_421 + 3 + 1_529, idle: 117_682 + 951, steal: 1_059))
        // A kernel without the steal field, and lines that are not /proc/stat.
        #expect(MachineCPU(procStat: "cpu  1 2 3 4 5 6 7\n") == MachineCPU(busy: 1 + 2 + 3 + 6 + 7, idle: 4 + 5, steal: 0))
        #expect(MachineCPU(procStat: "cpu0 1 2 3 4 5 6 7 8\n") == nil)
        #expect(MachineCPU(procStat: "cpu  1 2 x 4 5 6 7 8\n") == nil)
        #expect(MachineCPU(procStat: "cpu  1 2 3\n") == nil)
    }

    @Test("shares of an interval sum to one; no tick, or a counter going back, gives none")
    func sharesOfAnInterval() throws {
        let before = MachineCPU(busy: 1_000, idle: 500, steal: 100)
        let after = MachineCPU(busy: 1_140, idle: 520, steal: 140)
        let shares = try #require(after.shares(since: before))
        #expect(abs(shares.busy - 0.7) < 1e-12 && abs(shares.idle - 0.1) < 1e-12 && abs(shares.stolen - 0.2) < 1e-12)
        #expect(shares.description == "busy 70 %, idle 10 %, stolen by the hypervisor 20 %")
        #expect(before.shares(since: before) == nil)
        #expect(before.shares(since: after) == nil)
    }

    @Test("a span is measured from the last sample at or before its start to the first at or after its end")
    func spanBetweenSamples() throws {
        let samples: [(time: Double, cpu: MachineCPU)] = [
            (10.0, MachineCPU(busy: 0, idle: 0, steal: 0)),
            (10.1, MachineCPU(busy: 10, idle: 10, steal: 0)),
            (10.2, MachineCPU(busy: 30, idle: 10, steal: 0)),
            (10.3, MachineCPU(busy: 40, idle: 10, steal: 10)),
        ]
        // 10.15 to 10.25: from the sample at 10.1 to the one at 10.3.
        let shares = try #require(MachineCPUSampler.shares(in: samples, from: 10.15, to: 10.25))
        #expect(shares == MachineCPU.Shares(busy: 30.0 / 40, idle: 0, stolen: 10.0 / 40))
        // Outside the samples: nothing to say.
        #expect(MachineCPUSampler.shares(in: samples, from: 9.0, to: 10.2) == nil)
        #expect(MachineCPUSampler.shares(in: samples, from: 10.0, to: 10.4) == nil)
    }

    @Test("this machine's /proc/stat reads, and its counters only grow")
    func readsThisMachine() async throws {
        let first = try #require(MachineCPU.now(), "no /proc/stat on this machine")
        try await Task.sleep(for: .milliseconds(50))
        let second = try #require(MachineCPU.now())
        #expect(second.busy >= first.busy && second.idle >= first.idle && second.steal >= first.steal)
    }
}
