// SessionMachine.swift: the rules of one session, whatever its protocol or transport, as a
// pure value.
//
// The host (event-loop thread, SessionHost.swift) feeds it events — typed client messages
// (`ClientMessage`, from the protocol's adapter), engine events, outbox levels,
// timer ticks — and carries out the actions it returns, in order. It reads no clock (time comes
// in as `now`, in seconds on any monotonic clock), owns no socket and no thread.
//
//   awaitingConfig --config--> streaming --flush--> draining --last audio sent--> awaitingConfig
//        ^                         |                    |
//        +---------cancel / engine failure -------------+          any state --> closed
//
// Text goes through the turn's `TextSegmenter`, which decides when each chunk is spoken; when it
// has a deadline the machine asks the glue for a wake-up (`scheduleWake`) and the glue calls
// `onWake` then: one timer per deadline, no polling.
//
// Audio for the client waits in the machine's queue and goes to the socket outbox a few
// messages at a time (`sendWindow`), so a cancel drops what has not gone out yet and a client
// that does not read is noticed (`maxQueuedAudio`) and closed.
import PocketTTS
import TextNormalization

/// One turn as the engine sees it.
public struct TurnStart: Equatable, Sendable {
    /// Numbers the session's turns from 1.
    public var turn: Int
    public var requestID: String
    /// `config.seed` is always set (picked at random when the client gave none).
    public var config: TurnConfig
}

public struct SessionMachine: Sendable {
    public enum State: Equatable, Sendable {
        case awaitingConfig, streaming, draining, closed
    }

    public struct Configuration: Sendable {
        public var protocolSettings: ProtocolSettings
        /// Voices a config may name.
        public var voices: Set<String>
        /// Seconds without a client message or engine event before the session is closed.
        /// Malformed or refused messages do not count (see SessionMachine+Idle.swift).
        public var idleTimeout: Double
        /// Seconds a session without a turn stays open on pings alone: after this long with no
        /// config, text or flush it is closed however often it pings.
        public var pingKeepalive: Double
        /// Audio messages held back for a client that does not read before it is closed.
        public var maxQueuedAudio: Int
        /// Audio messages allowed in the socket outbox at once.
        public var sendWindow: Int
        /// Counts the tokens of a chunk as the engine will (the segmenter's cap).
        public var tokenCounter: any TokenCounting
        /// The counter of a turn's own model (several models served: `SpeechEngine.tokenCounter(for:)`);
        /// nil: `tokenCounter`.
        public var turnTokenCounter: (@Sendable (TurnConfig) -> any TokenCounting)? = nil
        /// The language a turn speaks (its `language`, else its model's), whose normalization
        /// rules it gets; nil: the config's `language`, else English. Several models served:
        /// `ModelRouter.languageCode(for:)`.
        public var turnLanguage: (@Sendable (TurnConfig) -> String?)? = nil
        /// Seconds of audio one turn may make (`max_turn_audio_s`); the turn then ends with an
        /// error after the audio made so far (SessionMachine+Delivery.swift).
        public var maxTurnAudioSeconds: Double

        public init(protocolSettings: ProtocolSettings = ProtocolSettings(), voices: Set<String>,
                    idleTimeout: Double = 60, pingKeepalive: Double = 300, maxQueuedAudio: Int = 250, sendWindow: Int = 8,
                    tokenCounter: any TokenCounting = UTF8TokenBound(), maxTurnAudioSeconds: Double = 600) {
            precondition(maxQueuedAudio > 0 && sendWindow > 0 && idleTimeout > 0 && pingKeepalive > 0 && maxTurnAudioSeconds > 0)
            self.maxTurnAudioSeconds = maxTurnAudioSeconds
            self.protocolSettings = protocolSettings
            self.voices = voices
            self.idleTimeout = idleTimeout
            self.pingKeepalive = pingKeepalive
            self.maxQueuedAudio = maxQueuedAudio
            self.sendWindow = sendWindow
            self.tokenCounter = tokenCounter
        }
    }

    /// What the glue must do, in order.
    public enum Action: Equatable, Sendable {
        case send(ServerMessage)
        /// Ask the engine for a stream; report back with `onTurnStarted` or `onTurnRejected`.
        case startTurn(TurnStart)
        /// Generate speech for this chunk of the turn's text (within the turn's token cap).
        case speak(String, turn: Int)
        /// Call `onWake` once the clock reaches this time (a text deadline).
        case scheduleWake(at: Double)
        /// No more text for the turn: report `.turnDone` after its last audio.
        case finishTurn(turn: Int)
        /// Stop the turn at once; its later events are ignored.
        case cancelTurn(turn: Int)
        /// Stop generating for the turn (it reached `maxTurnAudioSeconds`): the audio already
        /// made still goes out, then the turn ends with an error. Not a client's cancel.
        case stopTurn(turn: Int)
        /// Close the connection with this WebSocket status and reason.
        case close(code: UInt16, reason: String)
        /// Text is left to segment: call `onContinueText` on a later pass of the event loop
        /// (after other clients' work), and hand the machine no other client message until
        /// `hasUnsegmentedText` is false.
        case continueText
        /// Put this between the turn's chunks before it and those after it (an SSML break or rate change).
        case mark(SpeechMark, turn: Int)
        /// Tell the client (or the log, for a protocol without warnings) about the turn's text
        /// (SSML tags not supported).
        case warning(String, turn: Int)
    }

    /// What the engine reports about a turn.
    public enum EngineEvent: Equatable, Sendable {
        /// One encoded audio payload (one message).
        case audio([UInt8])
        /// The turn's last audio has been reported.
        case turnDone
        /// The engine failed the turn (`internal_error`).
        case failed(String)
        /// The turn was dropped because a shared bound was full (`at_capacity`: retry later).
        case overloaded(String)
    }

    /// WebSocket close statuses the machine uses.
    public enum CloseCode {
        public static let normal: UInt16 = 1000
        public static let goingAway: UInt16 = 1001
        public static let policyViolation: UInt16 = 1008
    }

    struct Turn: Sendable {
        var start: TurnStart
        var segmenter: TextSegmenter
        var textCharacters = 0
        /// The engine reported `.turnDone`: `final` goes out once the queue is empty.
        var engineDone = false
        /// Text received but not yet given to the segmenter: a long message is segmented
        /// `textSliceScalars` at a time, one slice per `onContinueText` (SessionMachine+Slices.swift).
        var unsegmented = Substring().unicodeScalars
        /// An SSML turn's text until the flush parses it (SessionMachine+SSML.swift); nil otherwise.
        var ssmlSource: String?
        /// A flushed SSML turn's parse in progress.
        var ssmlParser: SSMLParser?
        /// A flushed SSML turn's steps not yet taken.
        var ssmlSteps: ArraySlice<SSMLStep> = []
        /// A flushed SSML turn still has steps to take before `finishTurn`.
        var ssmlFinishing = false
        /// Seconds of audio the engine has made for the turn (`onAudioSeconds`).
        var audioSeconds = 0.0
        /// Sent instead of `final` once the queue is empty (the turn reached `maxTurnAudioSeconds`).
        var endError: ProtocolError?
    }

    public internal(set) var state: State = .awaitingConfig
    public let configuration: Configuration
    var turn: Turn?
    var turnCount = 0
    /// Set by a cancel, cleared by the next config: text and flush in between are dropped quietly.
    var cancelled = false
    /// The last counted client message or engine event (the idle timeout runs from here).
    var lastActivity: Double
    /// The last client work (config, text, flush, cancel) or engine event: pings alone keep a
    /// session without a turn for `pingKeepalive` seconds from here.
    var lastWork: Double
    /// The earliest wake-up asked for and not yet seen in `onWake`.
    var scheduledWake: Double?
    /// Audio not yet handed to the socket: queue[queueHead...].
    var queue: [ServerMessage] = []
    var queueHead = 0
    /// Messages in the socket outbox, as last reported plus those sent since.
    var socketPending = 0
    /// When the client last took audio from its outbox (or its turn started): audio waiting
    /// longer than `stallSeconds` after it closes the session as too slow.
    var lastDelivery: Double
    /// Set when the machine closed the session because the client does not read its audio
    /// (the glue counts `slow_client_closes`).
    public internal(set) var closedAsSlowClient = false
    var random: any RandomNumberGenerator & Sendable

    /// `random` makes request ids and seeds; `now` starts the idle timer.
    public init(configuration: Configuration, random: any RandomNumberGenerator & Sendable, now: Double) {
        self.configuration = configuration
        self.random = random
        self.lastActivity = now
        self.lastWork = now
        self.lastDelivery = now
    }

    /// Audio messages waiting for the socket.
    public var queuedAudio: Int { queue.count - queueHead }

    /// The current turn's number and request id, if a turn is open.
    public var currentTurn: (turn: Int, requestID: String)? {
        turn.map { ($0.start.turn, $0.start.requestID) }
    }

    // MARK: Client frames

    /// A client message, as its protocol's adapter parsed it (WireAdapter.swift).
    public mutating func onMessage(_ message: ClientMessage, now: Double) -> [Action] {
        guard state != .closed else { return [] }
        let before = state
        let actions: [Action]
        switch message {
        case .ping: actions = [send(.pong)]
        case .config(let config): actions = onConfig(config)
        case .text(let text): actions = onText(text, now: now)
        case .flush: actions = onFlush(now: now)
        case .cancel: actions = onCancel()
        }
        noteActivity(message, stateBefore: before, actions: actions, now: now)
        return actions
    }

    private mutating func onConfig(_ config: TurnConfig) -> [Action] {
        guard state == .awaitingConfig else {
            return [send(.error(.unexpected(type: "config", reason: "a turn is in progress: send cancel or wait for final")))]
        }
        guard configuration.voices.contains(config.voice) else { return [send(.error(.unknownVoice(config.voice)))] }
        var config = config
        if config.seed == nil { config.seed = random.next() }
        do {
            config.normalizerLanguage = try normalizerLanguage(for: config)
        } catch {
            return [send(.error(.invalidConfig(key: "language", reason: error.description)))]
        }
        turnCount += 1
        let start = TurnStart(turn: turnCount, requestID: makeRequestID(), config: config)
        let rules = TextSegmenter.Rules(maxBufferDelay: Double(config.maxBufferDelayMs) / 1000, maxTokens: config.maxTokens)
        turn = Turn(start: start, segmenter: TextSegmenter(rules: rules, counter: configuration.turnTokenCounter?(config) ?? configuration.tokenCounter,
                                                           normalizer: config.textNormalizer),
                    ssmlSource: config.ssml ? "" : nil)
        cancelled = false
        state = .streaming
        return [.startTurn(start)]
    }

    private mutating func onText(_ text: String, now: Double) -> [Action] {
        switch state {
        case .awaitingConfig:
            return cancelled ? [] : [send(.error(.unexpected(type: "text", reason: "send a config first")))]
        case .draining:
            return [send(.error(.unexpected(type: "text", reason: "the turn was flushed: wait for final or send cancel")))]
        case .closed:
            return []
        case .streaming:
            if collectsSSML { return collectSSML(text) }
            let earlier = segmentAllText(now: now)  // (none: the glue waits for `continueText`'s end)
            guard var current = turn else { return earlier }
            let limit = configuration.protocolSettings.maxTurnTextCharacters
            let length = text.unicodeScalars.count
            guard current.textCharacters + length <= limit else {
                return earlier + [send(.error(.invalidText(reason: "the turn's text would exceed \(limit) characters")))]
            }
            current.textCharacters += length
            current.unsegmented = Substring(text).unicodeScalars
            turn = current
            return earlier + segmentSlice(now: now)
        }
    }

    private mutating func onFlush(now: Double) -> [Action] {
        switch state {
        case .awaitingConfig:
            return cancelled ? [] : [send(.error(.unexpected(type: "flush", reason: "send a config first")))]
        case .draining, .closed:
            return []
        case .streaming:
            if collectsSSML { return flushSSML(now: now) }
            var actions = segmentAllText(now: now)
            guard var current = turn else { return actions }
            actions += current.segmenter.flush().map { .speak($0, turn: current.start.turn) }
            actions.append(.finishTurn(turn: current.start.turn))
            turn = current
            state = .draining
            return actions
        }
    }

    private mutating func onCancel() -> [Action] {
        guard let current = turn, state == .streaming || state == .draining else { return [] }
        endTurn()
        cancelled = true
        return [.cancelTurn(turn: current.start.turn)]
    }

    // MARK: Helpers shared with the other events

    /// Speaks `chunks` of the open turn; asks for a wake-up if the segmenter has a deadline
    /// before any already asked for.
    mutating func speaking(_ chunks: [String], now: Double) -> [Action] {
        guard let current = turn else { return [] }
        var actions: [Action] = chunks.map { .speak($0, turn: current.start.turn) }
        if let deadline = current.segmenter.deadline, scheduledWake.map({ deadline < $0 }) ?? true {
            scheduledWake = deadline
            actions.append(.scheduleWake(at: deadline))
        }
        return actions
    }

    /// Records a message going to the socket.
    mutating func send(_ message: ServerMessage) -> Action {
        socketPending += 1
        return .send(message)
    }

    /// Forgets the turn and its queued audio; back to awaiting a config.
    mutating func endTurn() {
        turn = nil
        queue.removeAll()
        queueHead = 0
        state = .awaitingConfig
    }

    /// Sends `message` (if any), cancels the open turn, closes.
    mutating func closing(_ message: ServerMessage?, code: UInt16, reason: String) -> [Action] {
        var actions: [Action] = []
        if let current = turn { actions.append(.cancelTurn(turn: current.start.turn)) }
        if let message { actions.append(send(message)) }
        actions.append(.close(code: code, reason: reason))
        endTurn()
        state = .closed
        return actions
    }

    /// 128 random bits as 32 lower-case hex digits.
    private mutating func makeRequestID() -> String {
        let bits = [random.next(), random.next()]
        return bits.map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
