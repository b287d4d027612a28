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
