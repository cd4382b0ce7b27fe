// DeepgramAdapter.swift: Deepgram's streaming TTS protocol, `GET /v1/speak`, as the agent
// frameworks' Deepgram plugins speak it when given a base URL. Many turns per socket:
//
//   ?model=aura-2-alba-en&encoding=linear16&sample_rate=24000   (Authorization: Token|Bearer <key>)
//   server: {"type":"Metadata","request_id":…,"model_name":…,"model_version":…,"model_uuid":…}
//   client: {"type":"Speak","text":"Hello there."}   (one per word or per sentence)
//   client: {"type":"Flush"}  server: binary audio…, then {"type":"Flushed","sequence_id":N}
//   client: {"type":"Clear"}  server: {"type":"Cleared","sequence_id":N} (audio stops at once)
//   client: {"type":"Close"}  flushes, then the server closes
//   server: {"type":"Warning","description":…,"code":…,"warn_code":…,"warn_msg":…} for what it
//           could not do; it goes on (the SDK reads description/code, LiveKit's plugin warn_msg)
//   ?speed=0.7 (Deepgram's 0.7-1.5; ours 0.25-4.0): the turn's audio time-stretched
//   ?model=french (a served model's name): that model and its default voice; Deepgram's
//           `aura-*` names: the default model, and the voice their middle word names if served
//
// A Speak opens a turn if none is open; a Flush ends it. Speak and Flush sent while a flushed
// turn still plays wait here (in order) until its Flushed has gone out.

import PocketTTS

public struct DeepgramAdapter: WireAdapter {
    public static let encodings: [String: AudioFormat] = ["linear16": .pcm, "mulaw": .mulaw, "alaw": .alaw]

    enum Operation: Equatable {
        case speak(String), flush, close
    }

    let config: TurnConfig
    let model: String
    /// The model named no voice: the turn speaks the default voice, and says so.
    let unknownModel: Bool
    let requestID: String
    let maxTextCharacters: Int
    let jsonLimits: JSONLimits
    /// Speak, Flush and Close waiting for the flushed turn's end.
    var held: [Operation] = []
    var heldCharacters = 0
    /// Flushed and Cleared count together.
    var sequence = 0
    var closeRequested = false

    public init(request: HTTPRequest, context: WireContext) {
        model = String((request.query["model"] ?? "aura-2-\(context.settings.defaultVoice)-en").prefix(128))
        let served = Self.servedModel(model, in: context.models)
        let voice = served == nil ? Self.voice(model: model, in: context.voices) : nil
        unknownModel = voice == nil && served == nil
        var config = TurnConfig(voice: voice ?? context.settings.defaultVoice)
        config.voiceGiven = voice != nil && request.query["model"] != nil
        config.model = served
        config.maxBufferDelayMs = context.settings.defaultMaxBufferDelayMs
        config.normalize = context.settings.normalize
        config.pronunciations = context.settings.pronunciations
        let format = Self.encodings[request.query["encoding"] ?? "linear16"] ?? .pcm
        config.format = format == .pcm && request.query["container"] == "wav" ? .wav : format
        config.sampleRate = request.query["sample_rate"].flatMap(Int.init) ?? (format == .pcm ? 24000 : 8000)
        config.speed = request.query["speed"].flatMap(Double.init) ?? 1  // checked by `refusal`
        self.config = config
        maxTextCharacters = context.settings.maxTextMessageCharacters
        jsonLimits = context.settings.jsonLimits
        var random = SystemRandomNumberGenerator()
        requestID = Self.uuid(random.next(), random.next())
    }

    /// The served model a Deepgram `model` names (its name or alias), if any.
    static func servedModel(_ model: String, in models: [ServedModel]) -> String? {
        let canonical = ModelCatalog.canonicalName(model) ?? model
        return models.first { $0.name == canonical || $0.name == model }?.name
    }

    /// The voice a model names: a voice of that name, or one of its middle words
    /// ("aura-2-helena-en" is "helena").
    static func voice(model: String, in voices: Set<String>) -> String? {
        if voices.contains(model) { return model }
        let words = model.split(separator: "-").map(String.init)
        return words.dropFirst().dropLast().first { voices.contains($0) }
    }

    /// Deepgram's query, checked before the upgrade (it answers 400).
    public static func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        var problem: String?
        if let encoding = request.query["encoding"], encodings[encoding] == nil {
            problem = "encoding must be linear16, mulaw or alaw (got \"\(encoding.prefix(32))\")"
        } else if let rate = request.query["sample_rate"],
                  Int(rate).map({ !TurnConfig.sampleRateRange.contains($0) }) ?? true {
            problem = "sample_rate must be an integer in \(TurnConfig.sampleRateRange) (got \"\(rate.prefix(32))\")"
        } else if let speed = request.query["speed"],
                  Double(speed).map({ !TurnConfig.speedRange.contains($0) }) ?? true {
            problem = "speed must be a number in \(TurnConfig.speedRange) (got \"\(speed.prefix(32))\")"
        } else if let container = request.query["container"], !["none", "wav"].contains(container) {
            problem = "container must be none or wav (got \"\(container.prefix(32))\")"
        } else if request.query["container"] == "wav", (request.query["encoding"] ?? "linear16") != "linear16" {
            problem = "container wav needs encoding linear16"
        }
        guard let problem else { return nil }
        return HTTPResponse(status: 400, contentType: "application/json",
                            text: "{\"err_code\":\"Bad Request\",\"err_msg\":\(jsonQuoted(problem))}")
    }

    public mutating func open(state: SessionMachine.State) -> [WireStep] {
        let metadata = "{\"type\":\"Metadata\",\"request_id\":\(jsonQuoted(requestID)),\"model_name\":\(jsonQuoted(model)),"
            + "\"model_version\":\"pocket-tts-1.1.1\",\"model_uuid\":\"b6369a24-0000-4000-8000-000000000000\"}"
        var steps: [WireStep] = [.send(.text(metadata))]
        if unknownModel {
            steps.append(warning("model \"\(model)\" names no voice: speaking \(config.voice)", code: "UNKNOWN_MODEL"))
        }
        return steps
    }

    public mutating func receive(_ message: WebSocketMessage, state: SessionMachine.State) -> [WireStep] {
        guard case .text(let frame) = message else { return [warning("binary frames are not accepted: send JSON", code: "INVALID_MESSAGE")] }
        let type: String?
        let object: [String: JSONValue]
        do throws(ProtocolError) {
            guard case .object(let parsed) = try JSONValue.parse(frame, limits: jsonLimits) else { throw .notAMessageObject }
            object = parsed
            if case .string(let name)? = parsed["type"] { type = name } else { type = nil }
        } catch {
            return [warning(error.message, code: "INVALID_MESSAGE")]
        }
        switch type {
        case "Speak":
            guard case .string(let text)? = object["text"] else {
                return [warning("Speak needs a string \"text\"", code: "INVALID_MESSAGE")]
            }
            guard text.unicodeScalars.count <= maxTextCharacters else {
                return [warning("more than \(maxTextCharacters) characters in one Speak", code: "TEXT_TOO_LONG")]
            }
            return perform(.speak(text), state: state)
        case "Flush": return perform(.flush, state: state)
        case "Close": return perform(.close, state: state)
        case "Clear":
            held.removeAll()
            heldCharacters = 0
            let cleared = WireStep.send(.text("{\"type\":\"Cleared\",\"sequence_id\":\(sequence)}"))
            sequence += 1
            return state == .streaming || state == .draining ? [.machine(.cancel), cleared] : [cleared]
        default:
            return [warning("unknown message type \"\((type ?? "").prefix(64))\" (expected Speak, Flush, Clear or Close)",
                            code: "INVALID_MESSAGE")]
        }
    }

    public mutating func outgoing(_ message: ServerMessage, state: SessionMachine.State) -> [WireStep] {
        switch message {
        case .binaryAudio(let payload), .jsonAudio(let payload, _, _):
            return [.send(.binary(payload))]
        case .final:
            let flushed = WireStep.send(.text("{\"type\":\"Flushed\",\"sequence_id\":\(sequence)}"))
            sequence += 1
            if closeRequested, held.isEmpty { return [flushed, .close(code: SessionMachine.CloseCode.normal, reason: "")] }
            return [flushed, .resume]
        case .error(let error):
            return [warning(error.message, code: error.code.rawValue.uppercased())]
        case .configAccepted, .pong:
            return []
        }
    }

    /// Carries out the oldest held operation; asks to be called again while more wait.
    public mutating func resume(state: SessionMachine.State) -> [WireStep] {
        guard state != .draining, !held.isEmpty else { return [] }
        let operation = held.removeFirst()
        if case .speak(let text) = operation { heldCharacters -= text.unicodeScalars.count }
        return perform(operation, state: state, resuming: true) + (held.isEmpty ? [] : [.resume])
    }

    private mutating func perform(_ operation: Operation, state: SessionMachine.State, resuming: Bool = false) -> [WireStep] {
        if state == .draining || (!resuming && !held.isEmpty) {
            if case .speak(let text) = operation {
                guard heldCharacters + text.unicodeScalars.count <= maxTextCharacters else {
                    return [warning("too much text waiting for the previous Flush", code: "TEXT_TOO_LONG")]
                }
                heldCharacters += text.unicodeScalars.count
            }
            held.append(operation)
            return []
        }
        switch operation {
        case .speak(let text):
            guard !text.isEmpty else { return [] }
            let spoken = text.last!.isWhitespace ? text : text + " "  // message boundaries are word boundaries
            return state == .awaitingConfig ? [.machine(.config(config)), .machine(.text(spoken))] : [.machine(.text(spoken))]
        case .flush:
            guard state == .streaming else {  // nothing spoken since the last Flush
                defer { sequence += 1 }
                return [.send(.text("{\"type\":\"Flushed\",\"sequence_id\":\(sequence)}"))]
            }
            return [.machine(.flush)]
        case .close:
            closeRequested = true
            return state == .streaming ? [.machine(.flush)] : [.close(code: SessionMachine.CloseCode.normal, reason: "")]
        }
    }

    private func warning(_ description: String, code: String) -> WireStep {
        let description = jsonQuoted(description), code = jsonQuoted(code)
        return .send(.text("{\"type\":\"Warning\",\"description\":\(description),\"code\":\(code),"
            + "\"warn_code\":\(code),\"warn_msg\":\(description)}"))
    }

    /// A version 4 UUID from 128 random bits.
    static func uuid(_ high: UInt64, _ low: UInt64) -> String {
        let high = high & ~0xF000 | 0x4000, low = low & ~(0xC << 60) | (0x8 << 60)
        let hex = [high, low].map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }
}
