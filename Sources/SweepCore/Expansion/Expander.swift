/// Settings of expansion.
public struct ExpansionOptions: Sendable {
    /// A sweep that would create more jobs than this is refused before anything is created.
    public var maxJobs: Int
    /// Draws for random or Sobol search when the sweep sets no `run_cap`.
    public var defaultDrawCount: Int

    /// 100,000 jobs at most; 100 draws without run_cap.
    public init(maxJobs: Int = 100_000, defaultDrawCount: Int = Expander.defaultDrawCount) {
        self.maxJobs = maxJobs
        self.defaultDrawCount = defaultDrawCount
    }
}

/// Why a sweep could not be expanded.
public struct ExpansionError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to change.
    public var description: String
}

/// The concrete jobs of a sweep and what expansion noticed.
public struct Expansion: Sendable {
    /// Jobs in expansion order.
    public var jobs: [JobSpec]
    /// Distinct configurations (jobs / seeds / rungs).
    public var configurationCount: Int
    /// Notes for the user, such as a discrete space smaller than run_cap.
    public var notes: [String]
}

/// Expands a spec into jobs: grid = cartesian product in parameter-name order (last varies
/// fastest); random and Sobol draw `run_cap` distinct configurations, deterministically for
/// `seed`; ladders multiply by rungs; seeds multiply everything.
public enum Expander {
    /// Draws without run_cap.
    public static let defaultDrawCount = 100

    /// Expands `spec`; throws when the sweep would exceed `options.maxJobs`.
    public static func expand(_ spec: SweepSpec, options: ExpansionOptions = ExpansionOptions()) throws -> Expansion {
        let parameters = spec.parameters.sorted { $0.path.lexicographicallyPrecedes($1.path) }
        let rungCount = spec.ladder?.rungs.count ?? 1
        let multiplier = spec.seeds.count * rungCount
        var notes: [String] = []

        let wanted: Int
        switch spec.method {
        case .grid:
            var size = 1
            for parameter in parameters {
                let count = parameter.distribution.gridCount ?? 1
                let product = size.multipliedReportingOverflow(by: count)
                size = product.overflow ? Int.max : product.partialValue
            }
            wanted = min(size, spec.runCap ?? Int.max)
        case .random, .sobol, .bayes:
            wanted = spec.runCap ?? options.defaultDrawCount
        }
        let total = wanted.multipliedReportingOverflow(by: multiplier)
        if total.overflow || total.partialValue > options.maxJobs {
            let count = total.overflow ? "more than \(Int.max)" : "\(total.partialValue)"
            var factors = "\(wanted == Int.max ? "too many" : String(wanted)) configurations"
            if spec.seeds.count > 1 { factors += " × \(spec.seeds.count) seeds" }
            if rungCount > 1 { factors += " × \(rungCount) rungs" }
            throw ExpansionError(description: "the sweep expands to \(count) jobs (\(factors)), more than the limit of \(options.maxJobs); narrow the grid, set run_cap, or raise the limit with --max-jobs")
        }

        // Each configuration with its canonical JSON, computed once: used to refuse repeats
        // and to hash.
        let configurations: [(params: ParamValue, canonical: String)]
        switch spec.method {
        case .grid:
            configurations = grid(parameters, count: wanted).map { ($0, $0.canonicalJSON) }
        case .random, .bayes:
            let streams = parameters.map { stableHash($0.dottedName) }
            configurations = distinctDraws(parameters, count: wanted) { attempt in
                randomConfiguration(parameters, streams: streams, seed: spec.seed, attempt: attempt)
            }
        case .sobol:
            let sampled = parameters.filter { $0.distribution.isSampled }
            guard sampled.count <= SobolSequence.maxDimensions else {
                throw ExpansionError(description: "sobol search supports at most \(SobolSequence.maxDimensions) sampled parameters; this sweep has \(sampled.count)")
            }
            var sequence = SobolSequence(dimensions: max(1, sampled.count), scrambleSeed: spec.seed)
            configurations = distinctDraws(parameters, count: wanted) { _ in
                let point = sequence.next()
                var params = ParamValue.object([:])
                var dimension = 0
                for parameter in parameters {
                    let u: Double
                    if parameter.distribution.isSampled {
                        u = point[dimension]
                        dimension += 1
                    } else {
                        u = 0.5
                    }
                    params.set(parameter.distribution.value(atQuantile: u), at: parameter.path[...])
                }
                return params
            }
        }
        if configurations.count < wanted, spec.method != .grid {
            notes.append("the search space holds only \(configurations.count) distinct configurations, fewer than the \(wanted) asked for; each runs once")
        }

        var jobs: [JobSpec] = []
        jobs.reserveCapacity(configurations.count * multiplier)
        for rung in 0..<rungCount {
            for (configuration, canonical) in configurations {
                var params = configuration
                var rungIndex: Int? = nil
                if let ladder = spec.ladder {
                    rungIndex = rung
                    for (name, value) in ladder.rungs[rung] { params.set(value, at: [name][...]) }
                    if let parameter = ladder.budgetParameter, let budget = ladder.budget(ofRung: rung) {
                        params.set(budget == budget.rounded() && abs(budget) < 9e15 ? .int(Int64(budget)) : .double(budget), at: [parameter][...])
                    }
                }
                // Ladder rungs add parameters, so their JSON is built again; otherwise reuse it.
                let text = spec.ladder == nil ? canonical : params.canonicalJSON
                let hash = SHA256.hexDigest(text.utf8)
                for seed in spec.seeds {
                    jobs.append(JobSpec(index: jobs.count, params: params, seed: seed, rung: rungIndex, canonicalParams: text, configHash: hash))
                }
            }
        }
        return Expansion(jobs: jobs, configurationCount: configurations.count, notes: notes)
    }

    /// The first `count` points of the cartesian product, last parameter fastest.
    static func grid(_ parameters: [ParameterSpec], count: Int) -> [ParamValue] {
        let axes = parameters.map(\.distribution.gridValues)
        guard !axes.contains(where: \.isEmpty) else { return [] }
        var result: [ParamValue] = []
        result.reserveCapacity(count)
        var digits = [Int](repeating: 0, count: axes.count)
        while result.count < count {
            var params = ParamValue.object([:])
            for (axis, parameter) in parameters.enumerated() {
                params.set(axes[axis][digits[axis]], at: parameter.path[...])
            }
            result.append(params)
            // Advance the mixed-radix counter; stop after the last combination.
            var position = axes.count - 1
            while position >= 0 {
                digits[position] += 1
                if digits[position] < axes[position].count { break }
                digits[position] = 0
                position -= 1
            }
            if position < 0 { break }
        }
        return result
    }

    /// One independent random configuration: each parameter gets a stream derived from the
    /// seed, the attempt number and its own name, so adding or reordering parameters leaves
    /// the others' draws unchanged.
    static func randomConfiguration(_ parameters: [ParameterSpec], streams: [UInt64], seed: UInt64, attempt: Int) -> ParamValue {
        var params = ParamValue.object([:])
        for (parameter, stream) in zip(parameters, streams) {
            var random = RandomSource(seed, UInt64(attempt), stream)
            params.set(parameter.distribution.value(atQuantile: random.nextOpenUnit()), at: parameter.path[...])
        }
        return params
    }

    /// Draws until `count` distinct configurations are found or the space looks exhausted
    /// (a bounded number of attempts), so no configuration is ever run twice by accident.
    static func distinctDraws(_ parameters: [ParameterSpec], count: Int, draw: (Int) -> ParamValue) -> [(params: ParamValue, canonical: String)] {
        var seen: Set<String> = []
        seen.reserveCapacity(count)
        var result: [(params: ParamValue, canonical: String)] = []
        result.reserveCapacity(count)
        let maxAttempts = count * 10 + 1000
        var attempt = 0
        var consecutiveRepeats = 0
        while result.count < count, attempt < maxAttempts, consecutiveRepeats < 1000 {
            let params = draw(attempt)
            attempt += 1
            let canonical = params.canonicalJSON
            if seen.insert(canonical).inserted {
                result.append((params, canonical))
                consecutiveRepeats = 0
            } else {
                consecutiveRepeats += 1
            }
        }
        return result
    }
}
