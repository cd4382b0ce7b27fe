// WireAdapter.swift: the WebSocket protocols the service speaks, each a thin adapter over the
// one `SessionMachine`. An adapter turns its client's frames into the machine's messages
// (`ClientMessage`) and the machine's messages (`ServerMessage`) into its frames; the machine
// keeps every rule (turns, the live-text segmenter, limits, idle timeout, queued audio), the
// host (TTSService+SessionHost.swift) keeps the transport, the engine and the metrics.
//
//   path                    adapter            protocol
//   /tts/ws (configurable)  NativeAdapter      our JSON protocol (README "Protocol")
//   /api/tts_streaming      KyutaiAdapter      Kyutai moshi-server TTS, msgpack
//   /v1/speak               DeepgramAdapter    Deepgram's streaming TTS
//   /v1/text-to-speech/{voice_id}/stream-input, …/multi-stream-input
//                           ElevenLabsAdapter  ElevenLabs' WebSocket input streaming
//   raw TCP on wyoming_port WyomingAdapter     Home Assistant's Wyoming (events on a TCP stream)
//
// A new protocol is one adapter file (a type conforming to `WireAdapter`) and one line in the
// registry (WireProtocols.swift: its paths, metrics label, message bound and authentication).

/// What an adapter asks the glue to do, in order.
public enum WireStep: Equatable, Sendable {
    /// Hand this message to the session machine.
    case machine(ClientMessage)
    /// Write this frame to the client.
    case send(WebSocketMessage)
    /// Close the session (the machine cancels its turn) with this status.
    case close(code: UInt16, reason: String)
    /// The exchange is complete: end the transport normally (an HTTP response's end).
    case finish
    /// End the session for this error, in the transport's own shape where it has one (an HTTP
    /// error response before any audio).
    case fail(ProtocolError)
    /// Call the adapter's `resume` now, with the machine's state as it is then.
    case resume
    /// An error the adapter answered itself (its own frames follow): counted and logged as
    /// the machine's errors are (`pocket_tts_errors_total{code,protocol}`).
    case report(ProtocolError)
}

/// One session's protocol, as the host (TTSService+SessionHost.swift) drives it: the client's
/// frames in, the machine's messages out. Values live on the event-loop thread, one per session.
public protocol SessionAdapter {
    /// Seconds without client messages or engine events before the session closes, if the
    /// protocol fixes it (otherwise the server's `idle_timeout`).
    var idleTimeout: Double? { get }
    /// Seconds between WebSocket pings the server sends, if the protocol wants them.
    var pingInterval: Double? { get }
    /// Right after the session opens.
    mutating func open(state: SessionMachine.State) -> [WireStep]
    /// A message from the client.
    mutating func receive(_ message: WebSocketMessage, state: SessionMachine.State) -> [WireStep]
    /// A message of the machine's for the client; `state` is the machine's after sending it.
    mutating func outgoing(_ message: ServerMessage, state: SessionMachine.State) -> [WireStep]
    /// Work the adapter held back (see `WireStep.resume`).
    mutating func resume(state: SessionMachine.State) -> [WireStep]
    /// The machine handed this chunk of the turn's text to the engine (chunks go in the order of
    /// their audio; ElevenLabs times each chunk's characters over that chunk's audio).
    mutating func chunkSpoken(_ text: String)
    /// Still waiting for the key of a protocol whose key may come in the first message
    /// (`WireAuthentication.upgradeOrFirstMessage`): the host closes the session at the deadline.
    var awaitsKey: Bool { get }
}

extension SessionAdapter {
    public var awaitsKey: Bool { false }
    public var idleTimeout: Double? { nil }
    public var pingInterval: Double? { nil }
    public mutating func open(state: SessionMachine.State) -> [WireStep] { [] }
    public mutating func resume(state: SessionMachine.State) -> [WireStep] { [] }
    public mutating func chunkSpoken(_ text: String) {}
}

/// The adapter of a protocol whose sessions are connections (a WebSocket upgrade, a raw TCP
/// connection), built from the connection's request. (An HTTP speech request's adapter is
/// built from its parsed body: HTTPSpeechAdapter.swift.)
public protocol WireAdapter: SessionAdapter {
    /// Builds the adapter for an accepted upgrade.
    init(request: HTTPRequest, context: WireContext)
    /// A refusal of the upgrade (e.g. a bad query) before any 101, or nil.
    static func refusal(_ request: HTTPRequest) -> HTTPResponse?
}

extension WireAdapter {
    public static func refusal(_ request: HTTPRequest) -> HTTPResponse? { nil }
}

/// What an adapter may read of the server when a session opens.
public struct WireContext: Sendable {
    public var settings: ProtocolSettings
    /// Voices a turn may name.
    public var voices: Set<String>
    /// Largest Kyutai `Voice` message (`kyutai_max_voice_message_bytes`); every other message
    /// keeps `settings.jsonLimits.maxBytes` (`max_message_bytes`).
    public var maxVoiceMessageBytes: Int
    /// Set when the upgrade carried no key and keys are configured, for a protocol that sends its
    /// key in the first message (ElevenLabs): the adapter checks that key with it.
    public var authenticator: Authenticator?
    /// The models served (protocols that describe them: Wyoming's `info`).
    public var models: [ServedModel]

    public init(settings: ProtocolSettings, voices: Set<String>, maxVoiceMessageBytes: Int = 4 << 20,
                authenticator: Authenticator? = nil, models: [ServedModel] = []) {
        self.settings = settings
        self.voices = voices
        self.maxVoiceMessageBytes = maxVoiceMessageBytes
        self.authenticator = authenticator
        self.models = models
    }
}
