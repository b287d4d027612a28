import SweepCore
import Testing

@Suite("Prometheus text exposition")
struct PrometheusTextTests {
    @Test("HELP and TYPE before each family's samples; labels in order; a family without samples keeps its two lines")
    func rendersFamilies() {
        let text = PrometheusText.render([
            .counter("jobs_total", "Jobs.", 3),
            PrometheusText.Family(name: "refused_total", help: "Refused, by code.", type: "counter", samples: []),
            PrometheusText.Family(name: "held", help: "Held.", type: "gauge", samples: [
                PrometheusText.Sample(labels: [("queue", "a"), ("zone", "b")], value: 1.5),
                PrometheusText.Sample(labels: [("queue", "c"), ("zone", "d")], value: 2),
            ]),
        ])
        #expect(text == """
            # HELP jobs_total Jobs.
            # TYPE jobs_total counter
            jobs_total 3
            # HELP refused_total Refused, by code.
            # TYPE refused_total counter
            # HELP held Held.
            # TYPE held gauge
            held{queue="a",zone="b"} 1.5
            held{queue="c",zone="d"} 2

            """)
    }

    @Test("a namespace prefixes names and ends counters in _total; counts by a label sort by its value")
    func namespace() {
        let metrics = PrometheusText.Namespace("sweep_x")
        #expect(metrics.counter("jobs", "h", 1).name == "sweep_x_jobs_total")
        #expect(metrics.gauge("slots", "h", 1).name == "sweep_x_slots")
        let byCode = metrics.counter("refused", "h", by: "code", PrometheusText.sorted(["b": 2, "a": 1]))
        #expect(byCode.name == "sweep_x_refused_total" && byCode.type == "counter")
        #expect(byCode.samples.map { $0.labels.map(\.value) } == [["a"], ["b"]])
        #expect(byCode.samples.map(\.value) == [1, 2])
    }

    @Test("numbers, label values and help texts are written as the format wants")
    func escapesAndNumbers() {
        #expect(PrometheusText.format(0) == "0")
        #expect(PrometheusText.format(42) == "42")
        #expect(PrometheusText.format(-3) == "-3")
        #expect(PrometheusText.format(0.25) == "0.25")
        #expect(PrometheusText.format(1e20) == "1e+20")
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.format(.nan) == "NaN")
        #expect(PrometheusText.escapeLabelValue(#"a"b\c"# + "\nd") == #"a\"b\\c\nd"#)
        #expect(PrometheusText.escapeHelp(#"a\b"# + "\nc \"q\"") == #"a\\b\nc "q""#)
        let text = PrometheusText.render([PrometheusText.Family(name: "x", help: "h", type: "gauge", samples: [
            PrometheusText.Sample(labels: [("path", "say \"hi\"\n")], value: 1),
        ])])
        #expect(text.hasSuffix(#"x{path="say \"hi\"\n"} 1"# + "\n"))
    }
}

@Suite("Duration histograms")
struct DurationHistogramTests {
    @Test("an observation lands in the first bucket whose bound it does not exceed; counts are cumulative for Prometheus")
    func buckets() {
        var histogram = DurationHistogram(bounds: [0.001, 0.01, 0.1])
        histogram.observe(seconds: 0.0005)
        histogram.observe(seconds: 0.001)          // on the bound: le="0.001"
        histogram.observe(.milliseconds(5))
        histogram.observe(seconds: 0.1)
        histogram.observe(.seconds(3))             // above every bound: +Inf only
        #expect(histogram.counts == [2, 1, 1, 1])
        #expect(histogram.cumulativeCounts == [2, 3, 4, 5])
        #expect(histogram.count == 5)
        #expect(abs(histogram.sum - 3.1065) < 1e-12)

        var other = DurationHistogram(bounds: [0.001, 0.01, 0.1])
        other.observe(seconds: 0.05)
        let both = histogram + other
        #expect(both.counts == [2, 1, 2, 1] && both.count == 6 && abs(both.sum - 3.1565) < 1e-12)
    }

    @Test("a histogram family has _bucket series with le (ending at +Inf), then _sum and _count, per label value")
    func rendering() {
        var fast = DurationHistogram(bounds: [0.01, 1])
        fast.observe(seconds: 0.005)
        fast.observe(seconds: 0.5)
        let slow = DurationHistogram(bounds: [0.01, 1])
        let text = PrometheusText.render([PrometheusText.histogram("call_seconds", "Calls.", by: "call", ["b": slow, "a": fast])])
        #expect(text == """
            # HELP call_seconds Calls.
            # TYPE call_seconds histogram
            call_seconds_bucket{call="a",le="0.01"} 1
            call_seconds_bucket{call="a",le="1"} 2
            call_seconds_bucket{call="a",le="+Inf"} 2
            call_seconds_sum{call="a"} 0.505
            call_seconds_count{call="a"} 2
            call_seconds_bucket{call="b",le="0.01"} 0
            call_seconds_bucket{call="b",le="1"} 0
            call_seconds_bucket{call="b",le="+Inf"} 0
            call_seconds_sum{call="b"} 0
            call_seconds_count{call="b"} 0

            """)
    }
}
