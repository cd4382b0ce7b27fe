// ServiceMetrics.swift: the metrics the TTS service exports on /metrics, as swift-metrics
// types backed by swift-prometheus.
//
// Each service has its own Prometheus registry and factory (passed as `factory:`), not the
// global `MetricsSystem`: one process may run several services (the tests do), each with its
// own /metrics. Every metric is safe to update from any thread; counters and the gauge are
// atomics (no lock on the per-frame path), the histograms take their own lock once per turn.
import CoreMetrics
import Prometheus

/// The service's counters, gauge and histograms, in one Prometheus registry.
public final class ServiceMetrics: Sendable {
    /// What /metrics renders.
    public let registry: PrometheusCollectorRegistry
    /// WebSocket sessions open now (`pocket_tts_sessions`).
    public let sessions: Meter
    public let sessionsOpened: CoreMetrics.Counter
    /// Audio messages handed to client sockets (one per 80 ms frame, except `ogg` pages).
    public let audioMessagesSent: CoreMetrics.Counter
    /// 80 ms frames the engine decoded for live turns.
    public let audioFrames: CoreMetrics.Counter
    public let audioSeconds: FloatingPointCounter
    /// From a turn's first sentence handed to the engine to its first audio message sent.
    public let timeToFirstAudio: CoreMetrics.Timer
    /// Per completed turn: wall time from the first sentence to the last audio decoded, over
    /// the audio's duration (< 1 is faster than real time).
    public let realTimeFactor: Recorder
    /// After a flush, audio decoded later than a client playing in real time would need it.
    public let underruns: CoreMetrics.Counter
    /// Sessions closed because the client did not read its audio.
    public let slowClientCloses: CoreMetrics.Counter
    /// One series per wire code and per outcome, made up front: every series shows from the
    /// start (at 0), and counting one is a dictionary read, not a registry lookup.
    private let errorCounters: [ProtocolError.Code: CoreMetrics.Counter]
    private let turnCounters: [TurnOutcome: CoreMetrics.Counter]

    /// Histogram bounds (upper bounds; `+Inf` is implied).
    static let timeToFirstAudioBuckets: [Duration] = [
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(150), .milliseconds(200),
        .milliseconds(300), .milliseconds(500), .milliseconds(750), .seconds(1), .seconds(2), .seconds(5),
    ]
    static let realTimeFactorBuckets: [Double] = [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = ["pocket_tts_time_to_first_audio_seconds": Self.timeToFirstAudioBuckets]
        factory.valueHistogramBuckets = ["pocket_tts_real_time_factor": Self.realTimeFactorBuckets]

        sessions = Meter(label: "pocket_tts_sessions", factory: factory)
        sessionsOpened = CoreMetrics.Counter(label: "pocket_tts_sessions_opened_total", factory: factory)
        audioMessagesSent = CoreMetrics.Counter(label: "pocket_tts_audio_messages_sent_total", factory: factory)
        audioFrames = CoreMetrics.Counter(label: "pocket_tts_audio_frames_total", factory: factory)
        audioSeconds = FloatingPointCounter(label: "pocket_tts_audio_seconds_total", factory: factory)
        timeToFirstAudio = CoreMetrics.Timer(label: "pocket_tts_time_to_first_audio_seconds", factory: factory)
        realTimeFactor = Recorder(label: "pocket_tts_real_time_factor", aggregate: true, factory: factory)
        underruns = CoreMetrics.Counter(label: "pocket_tts_underruns_total", factory: factory)
        slowClientCloses = CoreMetrics.Counter(label: "pocket_tts_slow_client_closes_total", factory: factory)
        errorCounters = Dictionary(uniqueKeysWithValues: ProtocolError.Code.allCases.map { code in
            (code, CoreMetrics.Counter(label: "pocket_tts_errors_total", dimensions: [("code", code.rawValue)], factory: factory))
        })
        turnCounters = Dictionary(uniqueKeysWithValues: TurnOutcome.allCases.map { outcome in
            (outcome, CoreMetrics.Counter(label: "pocket_tts_turns_total", dimensions: [("outcome", outcome.rawValue)], factory: factory))
        })
    }

    /// Error messages sent to clients, by wire code (`pocket_tts_errors_total{code}`).
    public func errors(_ code: ProtocolError.Code) -> CoreMetrics.Counter {
        errorCounters[code]!  // every case is made in init
    }

    /// Turns ended, by outcome (`pocket_tts_turns_total{outcome}`).
    public func turns(_ outcome: TurnOutcome) -> CoreMetrics.Counter {
        turnCounters[outcome]!  // every case is made in init
    }

    /// Every series in the Prometheus text format 0.0.4.
    public func render() -> String { registry.emitToString() }
}

/// How a turn ended.
public enum TurnOutcome: String, Sendable, CaseIterable {
    /// `final` sent.
    case completed
    /// By the client, or by the session closing.
    case cancelled
    /// The engine refused it (`at_capacity`, ...).
    case rejected
    /// The engine failed (`internal_error`).
    case failed
}
