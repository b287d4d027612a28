@testable import SweepCore
import Testing

/// Random valid specs expand deterministically and every value lies in its support.
@Suite("Expansion properties")
struct PropertyTests {
    /// Writes a random but valid parameter declaration.
    static func randomParameter(_ random: inout RandomSource, grid: Bool) -> String {
        func number(_ low: Double, _ high: Double) -> Double {
            (low + random.nextOpenUnit() * (high - low) * 1000).rounded() / 1000
        }
        let choice = Int(random.next() % (grid ? 4 : 17))
        let low = number(-5, 5), width = number(0.001, 10)
        let positiveLow = number(0.001, 5)
        switch choice {
        case 0: return "{value: \(number(-100, 100))}"
        case 1: return "{values: [\((0..<Int(1 + random.next() % 5)).map { "\($0 * 3)" }.joined(separator: ", "))]}"
        case 2: return "{distribution: int_uniform, min: \(Int(low)), max: \(Int(low) + Int(random.next() % 7))}"
        case 3: return "{distribution: q_uniform, min: \(low), max: \(low + width), q: \(number(0.01, 1))}"
        case 4: return "{distribution: uniform, min: \(low), max: \(low + width)}"
        case 5: return "{distribution: log_uniform, min: \(low), max: \(low + width)}"
        case 6: return "{distribution: log_uniform_values, min: \(positiveLow), max: \(positiveLow + width)}"
        case 7: return "{distribution: inv_log_uniform, min: \(low), max: \(low + width)}"
        case 8: return "{distribution: inv_log_uniform_values, min: \(positiveLow), max: \(positiveLow + width)}"
        case 9: return "{distribution: q_log_uniform, min: \(low), max: \(low + width), q: \(number(0.01, 2))}"
        case 10: return "{distribution: q_log_uniform_values, min: \(positiveLow), max: \(positiveLow + width), q: \(number(0.01, 2))}"
        case 11: return "{distribution: normal, mu: \(low), sigma: \(width)}"
        case 12: return "{distribution: q_normal, mu: \(low), sigma: \(width), q: \(number(0.01, 2))}"
        case 13: return "{distribution: log_normal, mu: \(low / 5), sigma: \(width / 10)}"
        case 14: return "{distribution: q_log_normal, mu: \(low / 5), sigma: \(width / 10), q: \(number(0.01, 2))}"
        case 15: return "{distribution: beta, a: \(positiveLow), b: \(positiveLow + width)}"
        default: return "{distribution: q_beta, a: \(positiveLow), b: \(positiveLow + width), q: \(number(0.01, 0.5))}"
        }
    }

    static func randomSpec(seed: UInt64) -> String {
        var random = RandomSource(seed: seed)
        let methods = ["grid", "random", "sobol"]
        let method = methods[Int(random.next() % 3)]
        let count = 1 + Int(random.next() % 6)
        var yaml = "method: \(method)\nprogram: train.py\nseed: \(random.next() % 1000)\nrun_cap: \(1 + random.next() % 40)\nseeds: \(1 + random.next() % 3)\nparameters:\n"
        for index in 0..<count {
            if random.next() % 5 == 0 {
                yaml += "  group\(index):\n    parameters:\n      inner: \(randomParameter(&random, grid: method == "grid"))\n"
            } else {
                yaml += "  p\(index): \(randomParameter(&random, grid: method == "grid"))\n"
            }
        }
        return yaml
    }

    @Test("random valid specs expand deterministically within their support", arguments: 0..<300)
    func expansionProperty(seed: Int) throws {
        let yaml = Self.randomSpec(seed: UInt64(seed))
        let spec = try SweepFile.parse(text: yaml, file: "generated-\(seed).yaml").spec
        let first = try Expander.expand(spec)
        let second = try Expander.expand(try SweepFile.parse(text: yaml, file: "again.yaml").spec)
        #expect(first.jobs == second.jobs, "expansion of\n\(yaml)\nis not deterministic")
        #expect(!first.jobs.isEmpty)
        let configurations = first.jobs.count / spec.seeds.count
        #expect(configurations <= spec.runCap!)
        #expect(Set(first.jobs.map { "\($0.configHash)/\($0.seed)" }).count == first.jobs.count, "a job repeats")
        for job in first.jobs {
            for parameter in spec.parameters {
                let value = try #require(job.params[path: parameter.path])
                #expect(parameter.distribution.contains(value), "\(value) outside \(parameter.distribution) in\n\(yaml)")
            }
        }
    }
}
