// KyutaiAdapter.swift: Kyutai moshi-server's TTS protocol, `GET /api/tts_streaming`, as
// Kyutai's unmute and delayed-streams-modeling clients speak it. One utterance per connection:
//
//   ?voice=alba&format=PcmMessagePack   (auth: header kyutai-api-key or ?auth_id=)
//   ?model=french or ?language=fr        the served model (none: the default), its default voice
//                                        unless `voice` names one of its voices
//   server: {"type":"Ready"}                      the turn is open
//   client: {"type":"Text","text":"Hello"}        one word per message (a text frame is one too)
//   client: {"type":"Eos"}                        (or the binary frame 0x00): no more words
//   server: one 80 ms frame per message, in `format`, then closes the socket (end of utterance)
//   server: {"type":"Error","message":"..."} and close, on any failure (clients read it as busy)
//
// Messages are msgpack maps (MessagePack.swift); the words go through the turn's live-text
// segmenter like any text. The server pings every 10 s and closes a client silent for 30 s.
//
// `{"type":"Voice","embeddings":[f32…],"shape":[…]}` (unmute sends one before the first Text) is
// accepted and ignored, at any time and whatever its content, without a reply: it carries a
// speaker embedding of Kyutai's DSM TTS, which is not a Pocket voice state (a Pocket voice is a
// FlowLM prompt prefilled from audio), so the `voice` query names the voice. Such a message is
// large (a [1, 125, 1024] embedding is 0.6 MB as f32, 1.2 MB as Python's f64), so this path has
// its own message bound, `kyutai_max_voice_message_bytes` (4 MB); any other message above
// `max_message_bytes` is closed with 1009, as on every path. A Voice is checked by
// `MessagePackLimits` (size, depth, elements) and only its "type" is converted.

public struct KyutaiAdapter: WireAdapter {
    /// The audio framings of `format`.
    public enum Format: String, Sendable, CaseIterable {
        /// Binary Ogg Opus pages, header pages first (Kyutai's default).
        case oggOpus = "OggOpus"
        /// {"type":"OggOpus","data":<bin>}
        case oggOpusMessagePack = "OggOpusMessagePack"
        /// Binary f32le frames of 1920 samples.
        case pcm = "Pcm"
        /// {"type":"Audio","pcm":[1920 floats]}
        case pcmMessagePack = "PcmMessagePack"
    }

    /// The turn, or why the session cannot have one.
    let turn: Result<TurnConfig, ProtocolError>
    let format: Format
    let limits: MessagePackLimits
    /// The bounds of a message larger than `limits.maxBytes`: only a Voice may be.
    let voiceLimits: MessagePackLimits
    let maxTextCharacters: Int

    public init(request: HTTPRequest, context: WireContext) {
        let maxBytes = context.settings.jsonLimits.maxBytes  // max_message_bytes
        limits = MessagePackLimits(maxBytes: maxBytes)
        // Every element takes at least 5 bytes in an embedding of floats (f32).
        let maxVoiceBytes = max(maxBytes, context.maxVoiceMessageBytes)
        voiceLimits = MessagePackLimits(maxBytes: maxVoiceBytes, maxElements: max(limits.maxElements, maxVoiceBytes / 5))
        maxTextCharacters = context.settings.maxTextMessageCharacters
        let formatName = request.query["format"] ?? Format.oggOpus.rawValue
        format = Format(rawValue: formatName) ?? .oggOpus
        guard Format(rawValue: formatName) != nil else {
            let names = Format.allCases.map(\.rawValue).joined(separator: ", ")
            turn = .failure(.invalidConfig(key: "format", reason: "must be one of \(names) (got \"\(formatName.prefix(32))\")"))
            return
        }
        guard let voice = Self.voice(request.query["voice"] ?? context.settings.defaultVoice, in: context.voices) else {
            turn = .failure(.unknownVoice(String((request.query["voice"] ?? "").prefix(128))))
            return
        }
        var data: [String: JSONValue] = [
            "voice": .string(voice), "binary": .bool(true), "sample_rate": .integer(24000),
            "format": .string(format == .oggOpus || format == .oggOpusMessagePack ? "ogg" : "pcm_f32"),
        ]
        for key in ["model", "language"] { if let value = request.query[key] { data[key] = .string(value) } }
        let voiceGiven = request.query["voice"] != nil
        // Clients also send cfg_alpha, top_k, max_seq_len...: accepted; these three are applied when valid.
        var options: [String: JSONValue] = [:]
        if let temperature = request.query["temperature"].flatMap(Double.init) { options["temperature"] = .number(temperature) }
        if let seed = request.query["seed"].flatMap(Int64.init) { options["seed"] = .integer(seed) }
        if let speed = request.query["speed"].flatMap(Double.init) { options["speed"] = .number(speed) }
        if var config = try? TurnConfig.parse(data.merging(options) { $1 }, settings: context.settings) {
            config.voiceGiven = voiceGiven
            turn = .success(config)
        } else {
            do throws(ProtocolError) {
                var config = try TurnConfig.parse(data, settings: context.settings)
                config.voiceGiven = voiceGiven
                turn = .success(config)
            } catch {
                turn = .failure(error)
            }
        }
    }

    /// A voice by name, or by a Kyutai voice path's file name ("expresso/alba.wav" is "alba").
    static func voice(_ name: String, in voices: Set<String>) -> String? {
        if voices.contains(name) { return name }
        let file = name.split(separator: "/").last.map(String.init) ?? name
        let stem = file.split(separator: ".").first.map(String.init) ?? file
        return voices.contains(stem) ? stem : nil
    }

    public var idleTimeout: Double? { 30 }
    public var pingInterval: Double? { 10 }

    public mutating func open(state: SessionMachine.State) -> [WireStep] {
        switch turn {
        case .success(let config): [.machine(.config(config))]
        case .failure(let error): refusing(error)
        }
    }

    public mutating func receive(_ message: WebSocketMessage, state: SessionMachine.State) -> [WireStep] {
        switch message {
        case .text(let text):
            guard text.utf8.count <= limits.maxBytes else { return tooLarge() }
            return words(text, state: state)
        case .binary([0]): return endOfStream(state: state)
        case .binary(let bytes):
            let isLarge = bytes.count > limits.maxBytes
            let value: MessagePackValue
            do {
                value = try MessagePack.decode(bytes, limits: isLarge ? voiceLimits : limits, keys: isLarge ? ["type"] : nil)
            } catch {
                return refusing(.invalidJSON(detail: "\(error)"))
            }
            if isLarge, value["type"]?.stringValue != "Voice" { return tooLarge() }
            switch value["type"]?.stringValue {
            case "Text":
                guard let text = value["text"]?.stringValue else { return refusing(.invalidText(reason: "Text needs a string \"text\"")) }
                return words(text, state: state)
            case "Eos": return endOfStream(state: state)
            case "Voice": return []  // a speaker embedding of Kyutai's model, not a Pocket voice: ignored
            case let type?: return refusing(.unknownType(String(type.prefix(64))))
            case nil: return refusing(.notAMessageObject)
            }
        }
    }

    public mutating func outgoing(_ message: ServerMessage, state: SessionMachine.State) -> [WireStep] {
        switch message {
        case .configAccepted:
            return [.send(.binary(MessagePack.encode(.map([(.string("type"), .string("Ready"))]))))]
        case .binaryAudio(let payload), .jsonAudio(let payload, _, _):
            return [.send(audio(payload))]
        case .final:
            return [.close(code: SessionMachine.CloseCode.normal, reason: "end of utterance")]
        case .error(let error):
            return failing(error)
        case .pong:
            return []
        }
    }

    /// The words of one message, with a space after them: message boundaries are word boundaries.
    private func words(_ text: String, state: SessionMachine.State) -> [WireStep] {
        guard state == .streaming else { return [] }  // after Eos: nothing more is spoken
        guard text.unicodeScalars.count <= maxTextCharacters else {
            return refusing(.invalidText(reason: "more than \(maxTextCharacters) characters in one message"))
        }
        guard !text.isEmpty else { return [] }
        return [.machine(.text(text.last!.isWhitespace ? text : text + " "))]
    }

    private func endOfStream(state: SessionMachine.State) -> [WireStep] {
        state == .streaming ? [.machine(.flush)] : []
    }

    private func audio(_ payload: [UInt8]) -> WebSocketMessage {
        switch format {
        case .oggOpus, .pcm:
            return .binary(payload)
        case .oggOpusMessagePack:
            return .binary(MessagePack.encode(.map([(.string("type"), .string("OggOpus")), (.string("data"), .binary(payload))])))
        case .pcmMessagePack:
            let samples = stride(from: 0, to: payload.count - 3, by: 4).map { i in
                MessagePackValue.float(Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(payload[i + $1]) << (8 * $1) }))
            }
            return .binary(MessagePack.encode(.map([(.string("type"), .string("Audio")), (.string("pcm"), .array(samples))])))
        }
    }

    /// A message other than a Voice above `max_message_bytes`: closed as the socket closes one.
    private func tooLarge() -> [WireStep] {
        [.close(code: 1009, reason: "message exceeds \(limits.maxBytes) bytes")]
    }

    /// An error of the adapter's own (not the machine's, which the glue counts as it sends
    /// it): reported to the metrics, then `failing`.
    private func refusing(_ error: ProtocolError) -> [WireStep] {
        [.report(error)] + failing(error)
    }

    /// `{"type":"Error","message":…}`, then close.
    private func failing(_ error: ProtocolError) -> [WireStep] {
        let code = error.closeCode
        let message = MessagePack.encode(.map([(.string("type"), .string("Error")), (.string("message"), .string(error.message))]))
        return [.send(.binary(message)), .close(code: code, reason: String(error.code.rawValue))]
    }
}
