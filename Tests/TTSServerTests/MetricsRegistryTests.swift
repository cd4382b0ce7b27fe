import Testing
@testable import TTSServer

@Suite struct MetricsRegistryTests {
    @Test func rendersCountersGaugesAndLabelsInPrometheusText() {
        let registry = MetricsRegistry()
        let sessions = registry.gauge("demo_sessions", help: "Open sessions.")
        let parse = registry.counter("demo_errors_total", help: "Errors.\nBy code.", labels: ["code": "parse_error"])
        let odd = registry.counter("demo_errors_total", help: "ignored", labels: ["code": "a\"b\\c\nd"])
        sessions.increment(by: 3)
        sessions.decrement()
        parse.increment()
        parse.increment(by: 2)
        odd.increment(by: 0.5)
        #expect(registry.counter("demo_errors_total", help: "", labels: ["code": "parse_error"]) === parse)
        #expect(registry.render() == """
            # HELP demo_sessions Open sessions.
            # TYPE demo_sessions gauge
            demo_sessions 2
            # HELP demo_errors_total Errors.\\nBy code.
            # TYPE demo_errors_total counter
            demo_errors_total{code="parse_error"} 3
            demo_errors_total{code="a\\"b\\\\c\\nd"} 0.5

            """)
    }

    @Test func histogramBucketsAreCumulativeWithSumAndCount() {
        let registry = MetricsRegistry()
        let latency = registry.histogram("demo_latency_seconds", help: "Latency.", bounds: [0.1, 0.5, 1], labels: ["path": "/x"])
        for value in [0.05, 0.1, 0.3, 0.7, 2, .nan] { latency.observe(value) }
        let snapshot = latency.snapshot
        #expect(snapshot.count == 5 && snapshot.cumulative == [2, 3, 4, 5])
        #expect(abs(snapshot.sum - 3.15) < 1e-12)
        let lines = registry.render().split(separator: "\n").map(String.init)
        #expect(lines.contains("demo_latency_seconds_bucket{path=\"/x\",le=\"0.1\"} 2"))
        #expect(lines.contains("demo_latency_seconds_bucket{path=\"/x\",le=\"1\"} 4"))
        #expect(lines.contains("demo_latency_seconds_bucket{path=\"/x\",le=\"+Inf\"} 5"))
        #expect(lines.contains("demo_latency_seconds_count{path=\"/x\"} 5"))
        #expect(lines.contains { $0.hasPrefix("demo_latency_seconds_sum{path=\"/x\"} 3.15") })
    }

    @Test func namesAreChecked() {
        #expect(MetricsRegistry.isValidName("pocket_tts_sessions"))
        #expect(MetricsRegistry.isValidName("_x9"))
        #expect(!MetricsRegistry.isValidName("9x") && !MetricsRegistry.isValidName("a-b") && !MetricsRegistry.isValidName(""))
        #expect(MetricsRegistry.number(3) == "3" && MetricsRegistry.number(0.25) == "0.25" && MetricsRegistry.number(.infinity) == "+Inf")
    }
}
