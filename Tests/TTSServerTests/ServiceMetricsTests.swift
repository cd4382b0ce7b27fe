import Prometheus
import Testing
@testable import TTSServer

/// The service's metrics as /metrics renders them (swift-metrics types on a swift-prometheus
/// registry, one registry per service).
@Suite struct ServiceMetricsTests {
    @Test func rendersCountersGaugesAndLabelsInPrometheusText() {
        let metrics = ServiceMetrics()
        metrics.sessions(.native).set(3.0)
        metrics.sessions(.native).decrement()
        metrics.errors(.parseError, .native).increment()
        metrics.errors(.parseError, .native).increment(by: 2)
        metrics.audioSeconds.increment(by: 0.5)
        #expect(metrics.errors(.parseError, .native) === metrics.errors(.parseError, .native))
        let lines = metrics.render().split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE pocket_tts_sessions gauge"))
        #expect(lines.contains("pocket_tts_sessions{protocol=\"native\"} 2.0"))
        #expect(lines.contains("# TYPE pocket_tts_errors_total counter"))
        #expect(lines.contains("pocket_tts_errors_total{code=\"parse_error\",protocol=\"native\"} 3"))
        #expect(lines.contains("pocket_tts_audio_seconds_total 0.5"))
        // Every code, outcome and protocol is a series from the start, at 0.
        for label in ProtocolLabel.allCases {
            let native = label == .native
            for code in ProtocolError.Code.allCases {
                #expect(lines.contains(
                    "pocket_tts_errors_total{code=\"\(code.rawValue)\",protocol=\"\(label.rawValue)\"} \(native && code == .parseError ? 3 : 0)"))
            }
            for outcome in TurnOutcome.allCases {
                #expect(lines.contains("pocket_tts_turns_total{outcome=\"\(outcome.rawValue)\",protocol=\"\(label.rawValue)\"} 0"))
            }
            #expect(lines.contains("pocket_tts_sessions{protocol=\"\(label.rawValue)\"} \(native ? "2.0" : "0.0")"))
            #expect(lines.contains("pocket_tts_sessions_opened_total{protocol=\"\(label.rawValue)\"} 0"))
            #expect(lines.contains("pocket_tts_slow_client_closes_total{protocol=\"\(label.rawValue)\"} 0"))
            #expect(lines.contains("pocket_tts_time_to_first_audio_seconds_count{protocol=\"\(label.rawValue)\"} 0"))
        }
        #expect(Set(ProtocolLabel.allCases.map(\.rawValue)) == ["native", "kyutai", "deepgram", "elevenlabs", "wyoming", "http_tts", "openai"])
    }

    @Test func histogramBucketsAreCumulativeWithSumAndCount() {
        let metrics = ServiceMetrics()
        for value in [0.05, 0.1, 0.3, 0.7, 2] { metrics.realTimeFactor.record(value) }
        for seconds in [0.02, 0.12, 3] { metrics.timeToFirstAudio(.kyutai).recordSeconds(seconds) }
        let text = metrics.render()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE pocket_tts_real_time_factor histogram"))
        #expect(lines.contains("pocket_tts_real_time_factor_bucket{le=\"0.1\"} 2"))
        #expect(lines.contains("pocket_tts_real_time_factor_bucket{le=\"0.3\"} 3"))
        #expect(lines.contains("pocket_tts_real_time_factor_bucket{le=\"1.0\"} 4"))
        #expect(lines.contains("pocket_tts_real_time_factor_bucket{le=\"+Inf\"} 5"))
        #expect(lines.contains("pocket_tts_real_time_factor_count 5"))
        #expect(abs((metricValue(text, "pocket_tts_real_time_factor_sum") ?? 0) - 3.15) < 1e-12)
        #expect(lines.contains("# TYPE pocket_tts_time_to_first_audio_seconds histogram"))
        #expect(lines.contains("pocket_tts_time_to_first_audio_seconds_bucket{protocol=\"kyutai\",le=\"0.025\"} 1"))
        #expect(lines.contains("pocket_tts_time_to_first_audio_seconds_bucket{protocol=\"kyutai\",le=\"0.15\"} 2"))
        #expect(lines.contains("pocket_tts_time_to_first_audio_seconds_bucket{protocol=\"kyutai\",le=\"5.0\"} 3"))
        #expect(lines.contains("pocket_tts_time_to_first_audio_seconds_count{protocol=\"kyutai\"} 3"))
        #expect(lines.contains("pocket_tts_time_to_first_audio_seconds_count{protocol=\"native\"} 0"))
        #expect(abs((metricValue(text, "pocket_tts_time_to_first_audio_seconds_sum") ?? 0) - 3.14) < 1e-9)
    }

    @Test func everyDocumentedMetricIsExportedUnderItsName() {
        let text = ServiceMetrics().render()
        let types = [
            "pocket_tts_sessions": "gauge", "pocket_tts_sessions_opened_total": "counter",
            "pocket_tts_turns_total": "counter", "pocket_tts_audio_frames_total": "counter",
            "pocket_tts_audio_seconds_total": "counter", "pocket_tts_audio_messages_sent_total": "counter",
            "pocket_tts_time_to_first_audio_seconds": "histogram", "pocket_tts_real_time_factor": "histogram",
            "pocket_tts_underruns_total": "counter", "pocket_tts_errors_total": "counter",
            "pocket_tts_slow_client_closes_total": "counter", "pocket_tts_event_loop_lag_seconds": "histogram",
            "pocket_tts_capacity_streams": "gauge", "pocket_tts_headroom_streams": "gauge", "pocket_tts_active_streams": "gauge",
        ]
        for (name, type) in types { #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name)") }
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE") }.count == types.count)
    }

    /// Several services in one process (as in these tests) count apart: nothing goes through
    /// the global `MetricsSystem`.
    @Test func eachServiceHasItsOwnRegistry() {
        let first = ServiceMetrics()
        let second = ServiceMetrics()
        first.audioFrames.increment()
        first.turns(.completed, .deepgram).increment()
        #expect(first.value("pocket_tts_audio_frames_total") == 1)
        #expect(second.value("pocket_tts_audio_frames_total") == 0)
        #expect(first.turnCount(.completed) == 1 && second.turnCount(.completed) == 0)
        // Nor does anything leak into the global system's default registry.
        #expect(!PrometheusMetricsFactory.defaultRegistry.emitToString().contains("pocket_tts_"))
    }
}

extension ServiceMetrics {
    /// The value of one series as /metrics shows it, e.g. `pocket_tts_audio_frames_total` (tests).
    func value(_ series: String) -> Double? { metricValue(render(), series) }

    /// Turns of every protocol, or of `label`'s.
    func turnCount(_ outcome: TurnOutcome, _ label: ProtocolLabel? = nil) -> Double? {
        value("pocket_tts_turns_total{outcome=\"\(outcome.rawValue)\"\(label.map { ",protocol=\"\($0.rawValue)\"" } ?? "")}")
    }

    func errorCount(_ code: ProtocolError.Code, _ label: ProtocolLabel? = nil) -> Double? {
        value("pocket_tts_errors_total{code=\"\(code.rawValue)\"\(label.map { ",protocol=\"\($0.rawValue)\"" } ?? "")}")
    }

    /// A per-protocol series, e.g. `pocket_tts_sessions` of `.kyutai`.
    func value(_ name: String, _ label: ProtocolLabel) -> Double? { value("\(name){protocol=\"\(label.rawValue)\"}") }
}
