// ElevenLabsAdapter.swift: ElevenLabs' WebSocket input streaming, as the `elevenlabs` SDK
// (`convert_realtime`), Pipecat's `ElevenLabsTTSService` and LiveKit's ElevenLabs plugin speak it
// when given a base URL. Two paths:
//
//   /v1/text-to-speech/{voice_id}/stream-input        one context: the socket is one utterance
//   /v1/text-to-speech/{voice_id}/multi-stream-input  contexts: messages name `context_id` (none: the default one)
//   ?model_id=eleven_…&output_format=pcm_24000&inactivity_timeout=20&auto_mode=true&seed=7
//    &apply_text_normalization=auto|on|off   (language_code, sync_alignment, enable_logging…: accepted)
//   auth: header xi-api-key, ?authorization=<token>, or "xi_api_key" / "authorization" in the first message
//   client: {"text":" ","voice_settings":{"speed":1.0},"generation_config":{"chunk_length_schedule":[120,160]}}
//   client: {"text":"Hello there. ","try_trigger_generation":true,"flush":false}
//   client: {"text":""}            stream-input: the end (the rest is spoken, then isFinal, then close)
//   client: {"text":"","context_id":"c"}  multi-stream-input: a keep-alive
//   client: {"context_id":"c","flush":true} / {"context_id":"c","close_context":true} / {"close_socket":true}
//   server: {"audio":"<base64>","isFinal":false,"alignment":…,"normalizedAlignment":…}  (+ "contextId")
//   server: {"audio":null,"isFinal":true,…}   after the last audio (of the socket, or of a closed context)
//   errors: a close with the message as its reason (1008; 1013 at capacity, 1011 internal)
//
// Contexts share the session's one turn, one after the other: text of a context other than the
// one speaking ends the speaking one's text (as a flush) and waits, in order, for its audio to
// end (ElevenLabs generates contexts side by side). `close_context` ends a context's input: its
// flushed text (queued turns included) is still spoken and its isFinal follows the last audio, as
// Pipecat and LiveKit expect when they close every context at the end of an utterance. A context
// still taking text (not flushed) stops at once (barge-in), as does any on `"immediate": true` or
// on a second `close_context` (Pipecat's interruption of a context it had closed). Text of a new
// context while the speaking one is closed also stops it at once: both agents move to a new
// context on an interruption without a word about the old one, which ElevenLabs would keep
// generating beside it and the client ignores; one after the other, the new reply would wait for
// the rest of the old. A flush ends the machine's turn; later text of the same context opens the
// next turn, its audio following on.

public struct ElevenLabsAdapter: WireAdapter {
    enum Operation: Equatable {
        /// Text of a context (its first message may carry settings), and whether to flush after it.
        case text(context: String, String, flush: Bool)
        case flush(context: String)
        /// The single-context end, or close_socket.
        case end
    }

    let multi: Bool
    /// The turn the query sets up (each context may change speed and chunk size), or why none.
    let base: Result<TurnConfig, ProtocolError>
    let inactivityTimeout: Double
    let autoMode: Bool
    let maxTextCharacters: Int
    let settings: ProtocolSettings
    /// Checks a key sent in the first message; nil when the upgrade carried a valid one.
    let authenticator: Authenticator?
    var authenticated: Bool
    /// Each open context's turn settings.
    var contextConfigs: [String: TurnConfig] = [:]
    /// The context whose turn the machine has (or last had).
    var speaking: String?
    var held: [Operation] = []
    var heldCharacters = 0
    var endRequested = false
    /// Contexts whose input the client closed while audio of theirs was still to come: each
    /// gets its isFinal after its last audio.
    var closing: Set<String> = []
    var alignment = ElevenLabsAlignment()
    /// A text message's flush, sent at the next `resume` (once its text is segmented).
    var pendingFlush = false

    public init(request: HTTPRequest, context: WireContext) {
        multi = ElevenLabs.multiStreamInput.match(request.path) != nil
        let voiceID = (ElevenLabs.multiStreamInput.match(request.path) ?? ElevenLabs.streamInput.match(request.path))?["voice_id"] ?? ""
        base = ElevenLabs.turnConfig(voiceID: voiceID, query: request.query, defaultFormat: "mp3_44100_128", context: context)
        inactivityTimeout = request.query["inactivity_timeout"].flatMap(Double.init).map { min(180, max(1, $0)) } ?? 20
        autoMode = request.query["auto_mode"] == "true"
        maxTextCharacters = context.settings.maxTextMessageCharacters
        settings = context.settings
        authenticator = context.authenticator
        authenticated = context.authenticator == nil
        if case .success(let config) = base { alignment = ElevenLabsAlignment(format: config.format, sampleRate: config.sampleRate) }
    }

    /// A bad query is refused before the upgrade, in ElevenLabs' error shape.
    public static func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        let context = WireContext(settings: ProtocolSettings(), voices: [])
        guard case .failure(let error) = ElevenLabs.turnConfig(voiceID: "", query: request.query, defaultFormat: "mp3_44100_128",
                                                               context: context) else { return nil }
        return ElevenLabs.errorResponse(400, code: "invalid_parameters", error.message)
    }

    public var idleTimeout: Double? { inactivityTimeout }

    public var awaitsKey: Bool { !authenticated }

    public mutating func receive(_ message: WebSocketMessage, state: SessionMachine.State) -> [WireStep] {
        guard case .text(let frame) = message else { return refusing(.binaryFrame) }
        let object: [String: JSONValue]
        do throws(ProtocolError) {
            guard case .object(let parsed) = try JSONValue.parse(frame, limits: settings.jsonLimits) else { throw .notAMessageObject }
            object = parsed
        } catch {
            return refusing(error)
        }
        if !authenticated {
            let key = ElevenLabs.messageKey(object)
            let decision = authenticator?.check(Authenticator.Credentials(authorization: key.authorization, apiKey: key.apiKey)) ?? .allowed
            guard decision == .allowed else {
                return [.report(.invalidConfig(key: "xi_api_key", reason: "\(decision)")),
                        .close(code: SessionMachine.CloseCode.policyViolation,
                               reason: decision == .missingKey ? "missing API key: send the xi-api-key header or xi_api_key" : "invalid API key")]
            }
            authenticated = true
        }
        if case .bool(true)? = object["close_socket"] { return perform(.end, state: state) }
        var context = ""  // stream-input's one context; multi-stream-input's default context
        if multi {
            switch object["context_id"] {
            case .string(let id)?: context = String(id.prefix(128))
            case nil, .null?: break
            default: return refusing(.invalidText(reason: "\"context_id\" must be a string"))
            }
        }
        if multi, case .bool(true)? = object["close_context"] {
            let immediate: Bool = if case .bool(true)? = object["immediate"] { true } else { false }
            return closeContext(context, immediate: immediate, state: state)
        }
        let flush: Bool = if case .bool(true)? = object["flush"] { true } else { false }
        if contextConfigs[context] == nil {
            switch base {
            case .failure(let error): return refusing(error)
            case .success(var config):
                do throws(ProtocolError) {
                    try ElevenLabs.applyVoiceSettings(object["voice_settings"], to: &config)
                } catch {
                    return refusing(error)
                }
                if !autoMode { ElevenLabs.applyGenerationConfig(object["generation_config"], to: &config, settings: settings) }
                guard contextConfigs.count < 64 else { return refusing(.invalidText(reason: "more than 64 contexts open")) }
                config.marksPieces = alignment.isTimed  // chunk marks, for per-chunk timings
                contextConfigs[context] = config
            }
        }
        let text: String
        switch object["text"] {
        case .string(let string)?: text = string
        case nil, .null?:
            if flush { return perform(.flush(context: context), state: state) }
            guard object.keys.contains(where: { ["voice_settings", "generation_config"].contains($0) }) else {
                return refusing(.invalidText(reason: "expected a string \"text\", \"flush\", \"close_context\" or \"close_socket\""))
            }
            return []
        default:
            return refusing(.invalidText(reason: "\"text\" must be a string"))
        }
        guard text.unicodeScalars.count <= maxTextCharacters else {
            return refusing(.invalidText(reason: "more than \(maxTextCharacters) characters in one message"))
        }
        if text.isEmpty {  // the end on stream-input; a keep-alive on multi-stream-input
            return multi ? (flush ? perform(.flush(context: context), state: state) : [.machine(.ping)]) : perform(.end, state: state)
        }
        return perform(.text(context: context, text, flush: flush), state: state)
    }

    public mutating func outgoing(_ message: ServerMessage, state: SessionMachine.State) -> [WireStep] {
        switch message {
        case .binaryAudio(let payload), .jsonAudio(let payload, _, _):
            if payload.isEmpty {  // the engine's mark: the next chunk's audio starts (`marksPieces`)
                alignment.chunkStarted()
                return []
            }
            return [.send(.text(alignment.audioMessage(payload, context: multi ? speaking : nil)))]
        case .final:
            var timings: [WireStep] = alignment.endTurn(context: multi ? speaking : nil).map { [.send(.text($0))] } ?? []
            if let context = speaking, closing.contains(context), !held.contains(where: { $0.context == context && $0.characters > 0 }) {
                closing.remove(context)
                contextConfigs[context] = nil
                held.removeAll { $0.context == context }  // flushes with no text after them
                timings.append(.send(.text(finalMessage(context))))
            }
            if endRequested, held.isEmpty { return timings + ending() }
            return timings + [.resume]
        case .error(let error):
            return failing(error)
        case .configAccepted, .pong:
            return []
        }
    }

    /// A chunk of the speaking turn went to the engine: its characters are timed over its audio.
    public mutating func chunkSpoken(_ text: String) { alignment.chunkSpoken(text) }

    /// Carries out the oldest held operation; asks to be called again while more wait.
    public mutating func resume(state: SessionMachine.State) -> [WireStep] {
        if pendingFlush {
            pendingFlush = false
            return [.machine(.flush)] + (held.isEmpty ? [] : [.resume])
        }
        guard state != .draining, !held.isEmpty else { return [] }
        let operation = held.removeFirst()
        if case .text(_, let text, _) = operation { heldCharacters -= text.unicodeScalars.count }
        return perform(operation, state: state, resuming: true) + (held.isEmpty ? [] : [.resume])
    }

    private mutating func perform(_ operation: Operation, state: SessionMachine.State, resuming: Bool = false) -> [WireStep] {
        // A new context while the speaking one is closed: the old one stops (an interruption).
        if case .text(let context, _, _) = operation, let old = speaking, context != old, closing.contains(old),
           state == .streaming || state == .draining {
            held.append(operation)
            return stop(old, active: true)
        }
        // Another context's text ends the speaking context's text; it waits for that audio.
        if case .text(let context, _, _) = operation, state == .streaming, context != speaking {
            held.append(operation)
            heldCharacters += operation.characters
            return [.machine(.flush)]
        }
        if state == .draining || (!resuming && !held.isEmpty) {
            guard heldCharacters + operation.characters <= settings.maxTurnTextCharacters else {
                return refusing(.invalidText(reason: "too much text waiting for the previous audio"))
            }
            heldCharacters += operation.characters
            held.append(operation)
            return []
        }
        switch operation {
        case .text(let context, let text, let flush):
            var steps: [WireStep] = []
            if state == .awaitingConfig {
                guard let config = contextConfigs[context] else { return [] }  // closed meanwhile
                speaking = context
                alignment.startTurn()
                steps.append(.machine(.config(config)))
            }
            // Message boundaries are word boundaries, except in SSML (a message may end inside a
            // tag, and white space between two messages is the document's).
            let ssml = (try? base.get())?.ssml ?? false
            if ssml ? !text.isEmpty : !text.allSatisfy(\.isWhitespace) {
                let spoken = text.last!.isWhitespace || ssml ? text : text + " "
                alignment.received(spoken)
                steps.append(.machine(.text(spoken)))
            }
            if flush, text.unicodeScalars.count > SessionMachine.textSliceScalars {
                // After the text is segmented: a long text goes a slice per loop pass, and a flush
                // in the same step list would segment the rest in one (the glue defers `.resume`).
                pendingFlush = true
                steps.append(.resume)
            } else if flush {
                steps.append(.machine(.flush))
            }
            return steps
        case .flush(let context):
            return state == .streaming && context == speaking ? [.machine(.flush)] : []
        case .end:
            endRequested = true
            return state == .streaming ? [.machine(.flush)] : ending()
        }
    }

    /// `close_context`: the context takes no more text. With nothing of it left to speak, its
    /// isFinal goes now; with flushed text left (the turn draining, or turns queued), that is
    /// spoken and the isFinal follows it. A context still taking text stops at once (barge-in),
    /// as does any on `immediate` or when it was closed before. The id may be used again: it
    /// names a new context.
    private mutating func closeContext(_ context: String, immediate: Bool, state: SessionMachine.State) -> [WireStep] {
        let active = context == speaking && (state == .streaming || state == .draining)
        guard active || held.contains(where: { $0.context == context }) else {
            contextConfigs[context] = nil
            closing.remove(context)
            return [.send(.text(finalMessage(context)))] + (held.isEmpty ? [] : [.resume])
        }
        if immediate || closing.contains(context) || (active && state == .streaming) {
            return stop(context, active: active)
        }
        closing.insert(context)
        return []
    }

    /// Stops a context at once: its queued text is dropped, its turn (when it has the machine's)
    /// cancelled, and its isFinal sent.
    private mutating func stop(_ context: String, active: Bool) -> [WireStep] {
        contextConfigs[context] = nil
        closing.remove(context)
        held.removeAll { $0.context == context }
        heldCharacters = held.reduce(0) { $0 + $1.characters }
        var steps: [WireStep] = [.send(.text(finalMessage(context)))]
        if active {
            alignment.startTurn()
            steps.insert(.machine(.cancel), at: 0)
        }
        return steps + (held.isEmpty ? [] : [.resume])
    }

    /// The end of the socket: isFinal (for the last context, unless it was closed), then the close.
    private func ending() -> [WireStep] {
        let open = !multi || speaking.map { contextConfigs[$0] != nil } ?? false
        return (open ? [.send(.text(finalMessage(multi ? speaking : nil)))] : []) + [.close(code: SessionMachine.CloseCode.normal, reason: "")]
    }

    private func finalMessage(_ context: String?) -> String {
        "{\"audio\":null,\"isFinal\":true,\"normalizedAlignment\":null,\"alignment\":null" + ElevenLabs.contextField(context) + "}"
    }

    /// An error of the adapter's own: counted, then the close.
    private func refusing(_ error: ProtocolError) -> [WireStep] {
        [.report(error)] + failing(error)
    }

    /// ElevenLabs ends a socket it cannot serve with a close whose reason says why.
    private func failing(_ error: ProtocolError) -> [WireStep] {
        let code = error.closeCode
        return [.close(code: code, reason: ElevenLabs.closeReason(error.message))]
    }
}

extension ElevenLabsAdapter.Operation {
    var context: String? {
        switch self {
        case .text(let context, _, _), .flush(let context): context
        case .end: nil
        }
    }

    var characters: Int {
        if case .text(_, let text, _) = self { return text.unicodeScalars.count }
        return 0
    }
}
