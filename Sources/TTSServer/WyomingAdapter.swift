// WyomingAdapter.swift: the Wyoming protocol (Home Assistant's, raw TCP on `wyoming_port`) as
// the `wyoming` package 1.10 speaks it (framing: WyomingEvent.swift; describe: WyomingInfo.swift).
//
//   client: describe                                   server: info (one TTS program per model)
//   client: ping {"text":…}                            server: pong {"text":…}
//   client: synthesize {"text":…,"voice":{"name":…}}   server: audio-start (24 kHz, 16-bit, mono),
//                                                              audio-chunk per decoded 80 ms frame, audio-stop
//   client: synthesize-start {"voice":…}, synthesize-chunk {"text":…}…, [synthesize {…}], synthesize-stop
//                                                      server: audio-start, audio-chunk…, audio-stop per piece
//                                                              the live-text segmenter releases, then synthesize-stopped
//   anything wrong: error {"text":…,"code":…}; the connection stays usable (a stream that cannot
//   be split into events is answered with an error, then closed)
//
// Home Assistant sends the whole text again as a legacy `synthesize` between the last chunk and
// synthesize-stop (for servers without streaming): it is ignored while streaming. Events of
// other domains (asr, wake, select-program…) are dropped, as the package's servers do. There is
// no API key in Wyoming: the port is for trusted networks (README "Wyoming").
//
// One synthesis at a time: events that would start the next one wait (`held`) until the current
// one's audio has ended. Pieces: a streamed turn's config asks the engine to mark the start of
// each piece after the first with an empty audio payload (`TurnConfig.marksPieces`).

public struct WyomingAdapter: WireAdapter {
    /// The `request.path` of a connection to the raw TCP port (`wyoming_port`): no HTTP request
    /// has it (a request line cannot hold a space), so no upgrade reaches Wyoming.
    public static let path = "tcp wyoming"

    enum Mode: Equatable {
        case idle
        /// A `synthesize`: its text waits for the turn to be accepted, then is flushed.
        case synthesizing
        /// Between synthesize-start and synthesize-stop.
        case streaming
        /// The streamed turn was refused: chunks are dropped until synthesize-stop.
        case refused
        /// synthesize-stop came: the rest of the audio, then synthesize-stopped.
        case stopping
    }

    /// Events waiting for the synthesis in progress, at most this many.
    static let maxHeldEvents = 64
    static let sampleRate = 24000

    let settings: ProtocolSettings
    let voices: Set<String>
    let models: [ServedModel]
    let limits: WyomingLimits
    var mode = Mode.idle
    /// The text of a `synthesize` until its turn is accepted.
    var pendingText: String?
    /// Its flush, which waits until the machine has segmented the text (the glue defers a
    /// `resume` while text is left: a flush would segment it all at once, on the loop).
    var pendingFlush = false
    var held: [WyomingEvent] = []
    var heldCharacters = 0
    /// An audio-start was sent and its audio-stop was not; samples sent since.
    var groupOpen = false
    var groupSamples = 0
    /// The text of the ping being answered.
    var pongText: JSONValue = .null

    public init(request: HTTPRequest, context: WireContext) {
        settings = context.settings
        voices = context.voices
        models = context.models.isEmpty ? [.unnamed] : context.models
        limits = Self.limits(settings)
    }

    /// The framing bounds for these settings: a header or data block as large as a message may be.
    public static func limits(_ settings: ProtocolSettings) -> WyomingLimits {
        WyomingLimits(maxLineBytes: settings.jsonLimits.maxBytes, maxDataBytes: settings.jsonLimits.maxBytes,
                      maxJSONDepth: settings.jsonLimits.maxDepth)
    }

    public mutating func receive(_ message: WebSocketMessage, state: SessionMachine.State) -> [WireStep] {
        switch message {
        case .text(let reason):  // the transport could not split the stream (WyomingFramer)
            return failing(.invalidJSON(detail: reason))
        case .binary(let bytes):
            let event: WyomingEvent
            do throws(ProtocolError) {
                event = try WyomingEvent.decode(bytes, limits: limits)
            } catch {
                return failing(error)
            }
            return handle(event, state: state)
        }
    }

    /// The steps for one event; `resuming` when it was held.
    mutating func handle(_ event: WyomingEvent, state: SessionMachine.State, resuming: Bool = false) -> [WireStep] {
        switch event.type {
        case "describe":
            return [.send(.binary(WyomingEvent(type: "info", data: WyomingInfo.info(models: models, voices: voices)).encoded))]
        case "ping":
            pongText = event.data["text"] ?? .null
            return [.machine(.ping)]
        case "synthesize", "synthesize-start", "synthesize-chunk", "synthesize-stop":
            break
        default:
            return []
        }
        if event.type == "synthesize", mode == .streaming || mode == .refused { return [] }  // the legacy copy
        let busy = mode == .synthesizing || mode == .stopping || (!resuming && !held.isEmpty)
        if busy { return hold(event) }
        switch event.type {
        case "synthesize": return synthesize(event)
        case "synthesize-start": return start(event)
        case "synthesize-chunk": return chunk(event)
        default: return stop()
        }
    }

    private mutating func synthesize(_ event: WyomingEvent) -> [WireStep] {
        guard case .string(let text)? = event.data["text"] else {
            return refusing(.invalidText(reason: "synthesize needs a string \"text\""))
        }
        guard text.unicodeScalars.count <= settings.maxTurnTextCharacters else {
            return refusing(.invalidText(reason: "more than \(settings.maxTurnTextCharacters) characters"))
        }
        let config: TurnConfig
        do throws(ProtocolError) {
            config = try turnConfig(event, marksPieces: false)
        } catch {
            return refusing(error)
        }
        mode = .synthesizing
        pendingText = text
        return [.machine(.config(config)), .resume]
    }

    private mutating func start(_ event: WyomingEvent) -> [WireStep] {
        if mode == .streaming {
            return refusing(.unexpected(type: "synthesize-start", reason: "a synthesis is streaming: send synthesize-stop first"))
        }
        do throws(ProtocolError) {
            let config = try turnConfig(event, marksPieces: true)
            mode = .streaming
            return [.machine(.config(config))]
        } catch {
            mode = .refused
            return refusing(error)
        }
    }

    private mutating func chunk(_ event: WyomingEvent) -> [WireStep] {
        guard mode == .streaming else {
            if mode == .refused { return [] }
            return refusing(.unexpected(type: "synthesize-chunk", reason: "send synthesize-start first"))
        }
        guard case .string(let text)? = event.data["text"] else {
            return refusing(.invalidText(reason: "synthesize-chunk needs a string \"text\""))
        }
        guard text.unicodeScalars.count <= settings.maxTextMessageCharacters else {
            return refusing(.invalidText(reason: "more than \(settings.maxTextMessageCharacters) characters in one chunk"))
        }
        return text.isEmpty ? [] : [.machine(.text(text))]
    }

    private mutating func stop() -> [WireStep] {
        switch mode {
        case .streaming:
            mode = .stopping
            return [.machine(.flush)]
        case .refused:
            mode = .idle
            return [send("synthesize-stopped")]
        default:
            return refusing(.unexpected(type: "synthesize-stop", reason: "send synthesize-start first"))
        }
    }

    private func turnConfig(_ event: WyomingEvent, marksPieces: Bool) throws(ProtocolError) -> TurnConfig {
        let choice = try WyomingInfo.voice(event.data["voice"], voices: voices, models: models, defaultVoice: settings.defaultVoice)
        var config = try TurnConfig.parse([
            "voice": .string(choice.voice), "format": .string(AudioFormat.pcm.rawValue), "sample_rate": .integer(Int64(Self.sampleRate)),
            "binary": .bool(true),
        ], settings: settings)
        config.voiceGiven = choice.voiceGiven
        config.model = choice.model
        config.language = choice.language
        config.marksPieces = marksPieces
        if case .string(let format)? = event.data["text_format"] { config.ssml = format.lowercased() == "ssml" }  // else "text"
        return config
    }

    private mutating func hold(_ event: WyomingEvent) -> [WireStep] {
        let characters = if case .string(let text)? = event.data["text"] { text.unicodeScalars.count } else { 0 }
        guard held.count < Self.maxHeldEvents, heldCharacters + characters <= settings.maxTurnTextCharacters else {
            return refusing(.invalidText(reason: "too many events waiting for the synthesis in progress"))
        }
        held.append(event)
        heldCharacters += characters
        return []
    }

    /// The text of an accepted `synthesize`, then its flush; then the next held event, once
    /// nothing is in progress.
    public mutating func resume(state: SessionMachine.State) -> [WireStep] {
        if let text = pendingText {
            pendingText = nil
            guard mode == .synthesizing, state == .streaming else { return [] }  // refused meanwhile
            pendingFlush = true
            return [.machine(.text(text)), .resume]
        }
        if pendingFlush {
            pendingFlush = false
            return mode == .synthesizing && state == .streaming ? [.machine(.flush)] : []
        }
        guard mode != .synthesizing, mode != .stopping, state == .awaitingConfig || mode == .streaming, !held.isEmpty else { return [] }
        let event = held.removeFirst()
        if case .string(let text)? = event.data["text"] { heldCharacters -= text.unicodeScalars.count }
        return handle(event, state: state, resuming: true) + (held.isEmpty ? [] : [.resume])
    }

    public mutating func outgoing(_ message: ServerMessage, state: SessionMachine.State) -> [WireStep] {
        switch message {
        case .configAccepted:
            return mode == .synthesizing ? openGroup() : []
        case .binaryAudio(let payload), .jsonAudio(let payload, _, _):
            if payload.isEmpty { return closeGroup() }  // a new piece starts
            let timestamp = groupSamples * 1000 / Self.sampleRate
            let steps = (groupOpen ? [] : openGroup())
            groupSamples += payload.count / 2
            return steps + [.send(.binary(WyomingEvent.encode(type: "audio-chunk", dataJSON: Self.format(timestamp: timestamp),
                                                                payload: payload)))]
        case .final:
            var steps: [WireStep] = []
            switch mode {
            case .synthesizing: steps = (groupOpen ? [] : openGroup()) + closeGroup()
            case .stopping: steps = closeGroup() + [send("synthesize-stopped")]
            default: break
            }
            mode = .idle
            return steps + [.resume]
        case .error(let error):
            var steps = [errorEvent(error)]
            if state != .streaming, state != .draining {  // the turn ended (refused, failed)
                groupOpen = false
                pendingText = nil
                pendingFlush = false
                switch mode {
                case .streaming: mode = .refused
                case .stopping:
                    mode = .idle
                    steps.append(send("synthesize-stopped"))
                case .synthesizing: mode = .idle
                default: break
                }
                steps.append(.resume)
            }
            return steps
        case .pong:
            defer { pongText = .null }
            return [.send(.binary(WyomingEvent(type: "pong", data: ["text": pongText]).encoded))]
        }
    }

    // MARK: Events out

    private mutating func openGroup() -> [WireStep] {
        groupOpen = true
        groupSamples = 0
        return [.send(.binary(WyomingEvent.encode(type: "audio-start", dataJSON: Self.format(timestamp: 0))))]
    }

    private mutating func closeGroup() -> [WireStep] {
        guard groupOpen else { return [] }
        groupOpen = false
        let timestamp = groupSamples * 1000 / Self.sampleRate
        return [.send(.binary(WyomingEvent.encode(type: "audio-stop", dataJSON: "{\"timestamp\":\(timestamp)}")))]
    }

    /// audio-start's and audio-chunk's data: 24 kHz, 16-bit, mono; milliseconds into the group.
    static func format(timestamp: Int) -> String {
        "{\"rate\":\(sampleRate),\"width\":2,\"channels\":1,\"timestamp\":\(timestamp)}"
    }

    private func send(_ type: String) -> WireStep {
        .send(.binary(WyomingEvent.encode(type: type, dataJSON: nil)))
    }

    private func errorEvent(_ error: ProtocolError) -> WireStep {
        .send(.binary(WyomingEvent(type: "error", data: ["text": .string(error.message), "code": .string(error.code.rawValue)]).encoded))
    }

    /// An error of the adapter's own: counted, answered; the connection goes on.
    private func refusing(_ error: ProtocolError) -> [WireStep] {
        [.report(error), errorEvent(error)]
    }

    /// A stream that cannot be read on: the error, then the close.
    private func failing(_ error: ProtocolError) -> [WireStep] {
        [.report(error), errorEvent(error), .close(code: SessionMachine.CloseCode.policyViolation, reason: error.message)]
    }
}
