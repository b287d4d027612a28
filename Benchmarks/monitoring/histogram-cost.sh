#!/usr/bin/env bash
# What timing a database call for /metrics costs the coordinator: the line in
# `Coordinator.bounded` (two clock reads, a dictionary entry by the call's description, one
# DurationHistogram.observe), 2 million times, compiled with -O from the project's own
# SweepCore sources. Prints nanoseconds per call. BENCHMARKS.md quotes it.
#
# usage: Benchmarks/monitoring/histogram-cost.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/sweep-histogram-cost.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/main.swift" <<'SWIFT'
struct Counters { var databaseCalls: [String: DurationHistogram] = [:] }
final class Box { var counters = Counters() }

@main enum Main {
    static func main() {
        let box = Box()
        let descriptions = ["claiming jobs", "writing metrics", "recording results", "marking attempts running", "renewing leases"]
        let calls = 2_000_000
        let clock = ContinuousClock()
        let began = clock.now
        for index in 0..<calls {
            let what = descriptions[index % descriptions.count]
            let start = ContinuousClock.now
            box.counters.databaseCalls[what, default: DurationHistogram()].observe(ContinuousClock.now - start)
        }
        let elapsed = clock.now - began
        let nanoseconds = (Double(elapsed.components.seconds) * 1e18 + Double(elapsed.components.attoseconds)) / 1e9 / Double(calls)
        let counted = box.counters.databaseCalls.values.reduce(0) { $0 + $1.count }
        print("\(calls) timed calls (\(counted) counted): \((nanoseconds * 10).rounded() / 10) ns per call")
    }
}
SWIFT
swiftc -O -parse-as-library -o "$WORK/histogram-cost" \
    "$ROOT/Sources/SweepCore/Monitoring/DurationHistogram.swift" \
    "$ROOT/Sources/SweepCore/Monitoring/PrometheusText.swift" "$WORK/main.swift" -lm
"$WORK/histogram-cost"
