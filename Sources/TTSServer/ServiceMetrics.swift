// ServiceMetrics.swift: the metrics the TTS service exports on /metrics, as swift-metrics
// types backed by swift-prometheus.
//
// Each service has its own Prometheus registry and factory (passed as `factory:`), not the
// global `MetricsSystem`: one process may run several services (the tests do), each with its
// own /metrics. Every metric is safe to update from any thread; counters and the gauge are
// atomics (no lock on the per-frame path), the histograms take their own lock once per turn.
//
// Sessions, turns, errors, slow-client closes and time to first audio carry a `protocol` label
// (`ProtocolLabel`: native, kyutai, deepgram, elevenlabs, wyoming, http_tts, openai), one series per protocol made up
// front; the audio counters and the real-time factor are the engine's, for all protocols at once.
import CoreMetrics
import Prometheus

/// The protocol a session or request speaks, as the metrics label it (`protocol="..."`). The
/// connection protocols' labels come from their registry (WireProtocols.swift).
public struct ProtocolLabel: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public static let native: ProtocolLabel = "native"
    public static let kyutai: ProtocolLabel = "kyutai"
    public static let deepgram: ProtocolLabel = "deepgram"
    public static let elevenlabs: ProtocolLabel = "elevenlabs"
    /// Raw TCP on `wyoming_port`.
    public static let wyoming: ProtocolLabel = "wyoming"
    /// `POST /tts`, the reference server's form API.
    public static let httpTTS: ProtocolLabel = "http_tts"
    /// `POST /v1/audio/speech`.
    public static let openai: ProtocolLabel = "openai"

    /// Every label: the registry's connection protocols, then the HTTP endpoints' own.
    public static var allCases: [ProtocolLabel] {
        var labels: [ProtocolLabel] = []
        for label in WireProtocols.all.map(\.label) + [.httpTTS, .openai] where !labels.contains(label) { labels.append(label) }
        return labels
    }

    /// The label of an HTTP speech request by its path.
    public init(httpPath path: String) {
        self = path == "/v1/audio/speech" ? .openai : path == "/v1/speak" ? .deepgram
            : path.hasPrefix("/v1/text-to-speech/") ? .elevenlabs : .httpTTS
    }

    public var description: String { rawValue }
}

/// The service's counters, gauges and histograms, in one Prometheus registry.
public final class ServiceMetrics: Sendable {
    /// What /metrics renders.
    public let registry: PrometheusCollectorRegistry
    /// 80 ms frames the engine decoded for live turns.
    public let audioFrames: CoreMetrics.Counter
    public let audioSeconds: FloatingPointCounter
    /// Audio messages handed to clients (one per 80 ms frame, except `ogg` pages).
    public let audioMessagesSent: CoreMetrics.Counter
    /// Per completed turn: wall time from the first sentence to the last audio decoded, over
    /// the audio's duration (< 1 is faster than real time).
    public let realTimeFactor: Recorder
    /// After a flush, audio decoded later than a client playing in real time would need it.
    public let underruns: CoreMetrics.Counter
    /// How late the event loop ran a periodic timer (`LoopLagProbe`): what any client waits
    /// for the loop at worst on top of its own work.
    public let eventLoopLag: CoreMetrics.Timer
    /// Turns the engine carries in real time (`SpeechCapacity.streams`: measured at start and
    /// kept current, at most `max_streams`), set when /metrics is read.
    public let capacityStreams: Meter
    /// Turns that may still start (`pocket_tts_headroom_streams`; 0: /ready answers 503).
    public let headroomStreams: Meter
    /// Turns with an engine stream now.
    public let activeStreams: Meter
    /// The series of each protocol.
    private let byProtocol: [ProtocolLabel: ProtocolSeries]

    /// One protocol's series. Every wire code and outcome is made up front: every series shows
    /// from the start (at 0), and counting one is a dictionary read, not a registry lookup.
    struct ProtocolSeries: Sendable {
        /// Sessions (WebSocket) or speech requests (HTTP) open now (`pocket_tts_sessions`).
        let sessions: Meter
        let sessionsOpened: CoreMetrics.Counter
        /// From a turn's first sentence handed to the engine to its first audio message sent.
        let timeToFirstAudio: CoreMetrics.Timer
        /// Sessions closed because the client did not read its audio.
        let slowClientCloses: CoreMetrics.Counter
        let errors: [ProtocolError.Code: CoreMetrics.Counter]
        let turns: [TurnOutcome: CoreMetrics.Counter]

        init(_ label: ProtocolLabel, factory: PrometheusMetricsFactory) {
            let dimension = ("protocol", label.rawValue)
            sessions = Meter(label: "pocket_tts_sessions", dimensions: [dimension], factory: factory)
            sessionsOpened = CoreMetrics.Counter(label: "pocket_tts_sessions_opened_total", dimensions: [dimension], factory: factory)
            timeToFirstAudio = CoreMetrics.Timer(label: "pocket_tts_time_to_first_audio_seconds", dimensions: [dimension], factory: factory)
            slowClientCloses = CoreMetrics.Counter(label: "pocket_tts_slow_client_closes_total", dimensions: [dimension], factory: factory)
            errors = Dictionary(uniqueKeysWithValues: ProtocolError.Code.allCases.map { code in
                (code, CoreMetrics.Counter(label: "pocket_tts_errors_total", dimensions: [("code", code.rawValue), dimension],
                                           factory: factory))
            })
            turns = Dictionary(uniqueKeysWithValues: TurnOutcome.allCases.map { outcome in
                (outcome, CoreMetrics.Counter(label: "pocket_tts_turns_total", dimensions: [("outcome", outcome.rawValue), dimension],
                                              factory: factory))
            })
        }
    }

    /// Histogram bounds (upper bounds; `+Inf` is implied).
    static let timeToFirstAudioBuckets: [Duration] = [
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(150), .milliseconds(200),
        .milliseconds(300), .milliseconds(500), .milliseconds(750), .seconds(1), .seconds(2), .seconds(5),
    ]
    static let realTimeFactorBuckets: [Double] = [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5]
    static let eventLoopLagBuckets: [Duration] = [
        .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = ["pocket_tts_time_to_first_audio_seconds": Self.timeToFirstAudioBuckets,
                                            "pocket_tts_event_loop_lag_seconds": Self.eventLoopLagBuckets]
        factory.valueHistogramBuckets = ["pocket_tts_real_time_factor": Self.realTimeFactorBuckets]

        audioMessagesSent = CoreMetrics.Counter(label: "pocket_tts_audio_messages_sent_total", factory: factory)
        audioFrames = CoreMetrics.Counter(label: "pocket_tts_audio_frames_total", factory: factory)
        audioSeconds = FloatingPointCounter(label: "pocket_tts_audio_seconds_total", factory: factory)
        realTimeFactor = Recorder(label: "pocket_tts_real_time_factor", aggregate: true, factory: factory)
        underruns = CoreMetrics.Counter(label: "pocket_tts_underruns_total", factory: factory)
        eventLoopLag = CoreMetrics.Timer(label: "pocket_tts_event_loop_lag_seconds", factory: factory)
        capacityStreams = Meter(label: "pocket_tts_capacity_streams", factory: factory)
        headroomStreams = Meter(label: "pocket_tts_headroom_streams", factory: factory)
        activeStreams = Meter(label: "pocket_tts_active_streams", factory: factory)
        byProtocol = Dictionary(uniqueKeysWithValues: ProtocolLabel.allCases.map { ($0, ProtocolSeries($0, factory: factory)) })
    }

    private func series(_ label: ProtocolLabel) -> ProtocolSeries {
        byProtocol[label]!  // every case is made in init
    }

    /// Sessions open now (`pocket_tts_sessions{protocol}`).
    public func sessions(_ label: ProtocolLabel) -> Meter { series(label).sessions }

    /// Sessions opened (`pocket_tts_sessions_opened_total{protocol}`).
    public func sessionsOpened(_ label: ProtocolLabel) -> CoreMetrics.Counter { series(label).sessionsOpened }

    /// `pocket_tts_time_to_first_audio_seconds{protocol}`.
    public func timeToFirstAudio(_ label: ProtocolLabel) -> CoreMetrics.Timer { series(label).timeToFirstAudio }

    /// `pocket_tts_slow_client_closes_total{protocol}`.
    public func slowClientCloses(_ label: ProtocolLabel) -> CoreMetrics.Counter { series(label).slowClientCloses }

    /// Error messages sent to clients, by wire code (`pocket_tts_errors_total{code,protocol}`).
    public func errors(_ code: ProtocolError.Code, _ label: ProtocolLabel) -> CoreMetrics.Counter {
        series(label).errors[code]!  // every case is made in init
    }

    /// Turns ended, by outcome (`pocket_tts_turns_total{outcome,protocol}`).
    public func turns(_ outcome: TurnOutcome, _ label: ProtocolLabel) -> CoreMetrics.Counter {
        series(label).turns[outcome]!  // every case is made in init
    }

    /// Sets the capacity gauges.
    public func record(_ capacity: SpeechCapacity) {
        capacityStreams.set(Double(capacity.streams))
        headroomStreams.set(Double(capacity.headroom))
        activeStreams.set(Double(capacity.active))
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
