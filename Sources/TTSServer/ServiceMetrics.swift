// ServiceMetrics.swift: the metrics the TTS service exports on /metrics.

/// The service's counters, gauges and histograms, in one registry.
public final class ServiceMetrics: Sendable {
    public let registry: MetricsRegistry
    /// WebSocket sessions open now.
    public let sessions: Gauge
    public let sessionsOpened: Counter
    /// Audio messages handed to client sockets (one per 80 ms frame, except `ogg` pages).
    public let audioMessagesSent: Counter
    /// 80 ms frames the engine decoded for live turns.
    public let audioFrames: Counter
    public let audioSeconds: Counter
    /// From a turn's first sentence handed to the engine to its first audio message sent.
    public let timeToFirstAudio: Histogram
    /// Per completed turn: wall time from the first sentence to the last audio decoded, over
    /// the audio's duration (< 1 is faster than real time).
    public let realTimeFactor: Histogram
    /// After a flush, audio decoded later than a client playing in real time would need it.
    public let underruns: Counter
    /// Sessions closed because the client did not read its audio.
    public let slowClientCloses: Counter

    public init(registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
        sessions = registry.gauge("pocket_tts_sessions", help: "WebSocket sessions open now.")
        sessionsOpened = registry.counter("pocket_tts_sessions_opened_total", help: "WebSocket sessions accepted.")
        audioMessagesSent = registry.counter(
            "pocket_tts_audio_messages_sent_total", help: "Audio messages handed to client sockets (one per 80 ms frame, ogg: per page).")
        audioFrames = registry.counter("pocket_tts_audio_frames_total", help: "80 ms audio frames decoded for live turns.")
        audioSeconds = registry.counter("pocket_tts_audio_seconds_total", help: "Seconds of audio decoded for live turns.")
        timeToFirstAudio = registry.histogram(
            "pocket_tts_time_to_first_audio_seconds", help: "From a turn's first sentence to its first audio message sent.",
            bounds: [0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5])
        realTimeFactor = registry.histogram(
            "pocket_tts_real_time_factor", help: "Per completed turn: generation wall time over audio duration.",
            bounds: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5])
        underruns = registry.counter(
            "pocket_tts_underruns_total", help: "Flushed turns' audio frames decoded after a real-time player would have run dry.")
        slowClientCloses = registry.counter(
            "pocket_tts_slow_client_closes_total", help: "Sessions closed because the client did not read its audio.")
        for code in ProtocolError.Code.allCases { _ = errors(code) }
        for outcome in TurnOutcome.allCases { _ = turns(outcome) }
    }

    /// Error messages sent to clients, by wire code.
    public func errors(_ code: ProtocolError.Code) -> Counter {
        registry.counter("pocket_tts_errors_total", help: "Error messages sent to clients, by code.", labels: ["code": code.rawValue])
    }

    /// Turns ended, by outcome.
    public func turns(_ outcome: TurnOutcome) -> Counter {
        registry.counter("pocket_tts_turns_total", help: "Turns ended, by outcome.", labels: ["outcome": outcome.rawValue])
    }

    public func render() -> String { registry.render() }
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
