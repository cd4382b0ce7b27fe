// SpeechEngine.swift: the boundary between a session and the speech engine. The session glue
// (event-loop thread) carries out `SessionMachine` actions through `SpeechEngine`; the engine
// answers through `SpeechEngineEvents` from its own threads. `EngineSpeechAdapter` implements it
// over TTSEngine's `Engine`.
import PocketTTS

/// A turn across all sessions: the connection's id and the session's turn number.
public struct TurnKey: Hashable, Sendable, CustomStringConvertible {
    public var session: UInt64
    public var turn: Int

    public init(session: UInt64, turn: Int) {
        self.session = session
        self.turn = turn
    }

    public var description: String { "\(session).\(turn)" }
}

/// What a session asks of the engine. Called on the event-loop thread: no call may block.
public protocol SpeechEngine: AnyObject, Sendable {
    /// Voices a config may name.
    var voices: Set<String> { get }

    /// Counts a chunk's tokens as the engine will (the text segmenter's cap).
    var tokenCounter: any TokenCounting { get }

    /// Counts a chunk's tokens as the engine of the turn's model will (several models: each
    /// its own tokenizer). By default `tokenCounter`.
    func tokenCounter(for config: TurnConfig) -> any TokenCounting

    /// Opens a stream for the turn (voice state, audio encoder for `start.config`). Throws
    /// `.atCapacity` (with a retry hint) when no stream is free, `.unknownVoice` if the voice went away.
    func startTurn(_ start: TurnStart, key: TurnKey, events: any SpeechEngineEvents) throws(ProtocolError)

    /// Queues a chunk of the turn's text (within `config.maxTokens` tokens).
    func speak(_ text: String, key: TurnKey)

    /// Puts `mark` between the turn's chunks queued so far and those queued after (an SSML
    /// break's silence, a rate change). By default ignored.
    func mark(_ mark: SpeechMark, key: TurnKey)

    /// No more text: report `.turnDone` after the turn's last audio.
    func finishTurn(_ key: TurnKey)

    /// Stops the turn now and drops its pending work; no more events for it.
    func cancelTurn(_ key: TurnKey)

    /// Turns the engine carries now, open and free (nil: no estimate; the service is then
    /// ready whenever the engine is attached). Read on the event-loop thread: must not block.
    var capacity: SpeechCapacity? { get }

    /// Where the voices and uploads of `model` (a served model's name or alias; nil: the
    /// default model's) live, for the HTTP voice API; nil: the engine keeps none (a test's
    /// engine), or no such model. By default nil.
    func voiceStore(model: String?) -> EngineSpeechAdapter?
}

extension SpeechEngine {
    public var capacity: SpeechCapacity? { nil }

    public func tokenCounter(for config: TurnConfig) -> any TokenCounting { tokenCounter }

    public func mark(_ mark: SpeechMark, key: TurnKey) {}

    public func voiceStore(model: String?) -> EngineSpeechAdapter? { nil }
}

/// What the engine can carry now (`/ready`, `/metrics`, the retry hint of `at_capacity`).
public struct SpeechCapacity: Sendable, Equatable {
    /// Turns it carries in real time (measured, or its hard bound).
    public var streams: Int
    /// Turns open now.
    public var active: Int
    /// Seconds a refused client should wait before retrying.
    public var retryAfterSeconds: Int

    public init(streams: Int, active: Int, retryAfterSeconds: Int = ProtocolError.defaultRetryAfterSeconds) {
        self.streams = streams
        self.active = active
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Turns that may still start (0 at or over capacity: the service then reports not ready).
    public var headroom: Int { max(0, streams - active) }
}

/// Where the engine reports on a turn, from its producer/consumer threads (turns on several
/// consumer threads at once: an implementation must be thread-safe). An implementation
/// hands the event to the event loop (which calls `SessionMachine.onEngine`) and never blocks.
public protocol SpeechEngineEvents: Sendable {
    func report(_ event: SessionMachine.EngineEvent, for key: TurnKey)

    /// One decoded frame of `seconds` of audio, encoded into `payloads` (one message each;
    /// possibly none while an encoder buffers). Lets the server time the turn (time to first
    /// audio, real-time factor, underruns). By default each payload is reported as `.audio`.
    func reportAudio(_ payloads: [[UInt8]], seconds: Double, for key: TurnKey)
}

extension SpeechEngineEvents {
    public func reportAudio(_ payloads: [[UInt8]], seconds: Double, for key: TurnKey) {
        for payload in payloads { report(.audio(payload), for: key) }
    }
}
