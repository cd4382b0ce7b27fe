// ElevenLabsProtocol.swift: what ElevenLabs' WebSocket and REST endpoints share: paths, the
// `output_format` names, the voice a `voice_id` names, the turn a request's query sets up,
// keys, and the error shapes. The WebSocket adapter is ElevenLabsAdapter.swift, the REST
// endpoints ElevenLabsREST.swift.
import Foundation

public enum ElevenLabs {
    public static let streamInputPath = "/v1/text-to-speech/{voice_id}/stream-input"
    public static let multiStreamInputPath = "/v1/text-to-speech/{voice_id}/multi-stream-input"
    public static let streamInput = PathTemplate(streamInputPath)
    public static let multiStreamInput = PathTemplate(multiStreamInputPath)
    public static let convert = PathTemplate("/v1/text-to-speech/{voice_id}")
    public static let stream = PathTemplate("/v1/text-to-speech/{voice_id}/stream")
    /// The header the SDKs send the key in.
    public static let keyHeader = "xi-api-key"

    /// An `output_format` name ("pcm_24000", "ulaw_8000", "mp3_44100_128", "opus_48000_64"):
    /// the encoder, its rate and the body's content type. The bitrate of mp3 and opus is the
    /// server's (LAME's default, `opus_bitrate`), whatever the name says.
    public static func outputFormat(_ name: String) -> (format: AudioFormat, sampleRate: Int, contentType: String)? {
        let parts = name.split(separator: "_").map(String.init)
        guard parts.count >= 2, let rate = Int(parts[1]) else { return nil }
        switch (parts[0], parts.count) {
        case ("pcm", 2) where [8000, 16000, 22050, 24000, 44100, 48000].contains(rate):
            return (.pcm, rate, "audio/pcm")
        case ("ulaw", 2) where rate == 8000: return (.mulaw, rate, "audio/basic")
        case ("alaw", 2) where rate == 8000: return (.alaw, rate, "audio/x-alaw-basic")
        case ("mp3", 3) where [22050, 24000, 44100].contains(rate) && Int(parts[2]) != nil:
            return (.mp3, rate, "audio/mpeg")
        case ("opus", 3) where rate == 48000 && Int(parts[2]) != nil:
            return (.ogg, rate, "audio/ogg")
        default: return nil
        }
    }

    static let formatNames = "pcm_8000, pcm_16000, pcm_22050, pcm_24000, pcm_44100, pcm_48000, ulaw_8000, alaw_8000, "
        + "mp3_22050_32, mp3_24000_48, mp3_44100_{32,64,96,128,192}, opus_48000_{32,64,96,128,192}"

    /// The voice a `voice_id` names: a served voice of that name, else the default voice (agent
    /// frameworks ship ElevenLabs voice ids as defaults).
    static func voice(_ voiceID: String, context: WireContext) -> String {
        context.voices.contains(voiceID) ? voiceID : context.settings.defaultVoice
    }

    /// The turn a request's path and query ask for, or why not (the message of a 400 / a close).
    static func turnConfig(voiceID: String, query: [String: String], defaultFormat: String,
                           context: WireContext) -> Result<TurnConfig, ProtocolError> {
        var config = TurnConfig(voice: voice(voiceID, context: context))
        config.voiceGiven = context.voices.contains(voiceID)
        applyModel(modelID: query["model_id"], languageCode: query["language_code"], to: &config)
        config.maxBufferDelayMs = context.settings.defaultMaxBufferDelayMs
        config.normalize = context.settings.normalize
        config.pronunciations = context.settings.pronunciations
        let name = query["output_format"] ?? defaultFormat
        guard let (format, rate, _) = outputFormat(name) else {
            return .failure(.invalidConfig(key: "output_format",
                                           reason: "\"\(name.prefix(32))\" is not served: use one of \(formatNames)"))
        }
        config.format = format
        config.sampleRate = rate
        config.ssml = query["enable_ssml_parsing"] == "true"
        if let seed = query["seed"] {
            guard let value = UInt64(seed), value <= 4_294_967_295 else {
                return .failure(.invalidConfig(key: "seed", reason: "must be an integer in 0...4294967295 (got \"\(seed.prefix(24))\")"))
            }
            config.seed = value
        }
        switch query["apply_text_normalization"] {
        case nil, "auto"?: break
        case "on"?: config.normalize = true
        case "off"?: config.normalize = false
        case let other?:
            return .failure(.invalidConfig(key: "apply_text_normalization", reason: "must be auto, on or off (got \"\(other.prefix(16))\")"))
        }
        return .success(config)
    }

    /// `model_id` and `language_code` (query or body): ElevenLabs' own model ids (`eleven_*`) are
    /// the default model; any other id names a served model (refused at the turn's start, listing
    /// those served, when it is not). `language_code` ("fr", "de"): the first served model of it.
    static func applyModel(modelID: String?, languageCode: String?, to config: inout TurnConfig) {
        if let modelID, !modelID.isEmpty, !modelID.hasPrefix("eleven_") { config.model = String(modelID.prefix(128)) }
        if let languageCode, !languageCode.isEmpty { config.language = String(languageCode.prefix(128)) }
    }

    /// Applies `voice_settings.speed` of a message or body.
    static func applyVoiceSettings(_ settings: JSONValue?, to config: inout TurnConfig) throws(ProtocolError) {
        guard case .object(let object)? = settings else { return }
        switch object["speed"] {
        case nil, .null?: break
        case .number(let speed)? where TurnConfig.speedRange.contains(speed): config.speed = speed
        case .integer(let speed)? where TurnConfig.speedRange.contains(Double(speed)): config.speed = Double(speed)
        default: throw .invalidConfig(key: "voice_settings.speed", reason: "must be a number in \(TurnConfig.speedRange)")
        }
    }

    /// `generation_config.chunk_length_schedule`'s first size (characters) as the segmenter's
    /// chunk cap: about four characters a token, within 8...`max_tokens_per_chunk`.
    static func applyGenerationConfig(_ generation: JSONValue?, to config: inout TurnConfig, settings: ProtocolSettings) {
        guard case .object(let object)? = generation, case .array(let schedule)? = object["chunk_length_schedule"] else { return }
        let first: Double? = switch schedule.first {
        case .integer(let value)?: Double(value)
        case .number(let value)?: value
        default: nil
        }
        guard let first, first.isFinite, first > 0 else { return }
        config.maxTokens = Int(min(Double(settings.maxTokensPerChunk), max(8, (first / 4).rounded(.up))))
    }

    /// An API key a message carries (`xi_api_key`, or `authorization` as "Bearer <key>" or the key).
    static func messageKey(_ object: [String: JSONValue]) -> (authorization: String?, apiKey: String?) {
        var authorization: String?
        if case .string(let value)? = object["authorization"] { authorization = value }
        if case .string(let key)? = object["xi_api_key"] { return (authorization, key) }
        return (authorization, nil)
    }

    /// `{"detail":{"status":…,"message":…}}`.
    static func errorResponse(_ status: Int, code: String, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json",
                     text: "{\"detail\":{\"status\":\(jsonQuoted(code)),\"message\":\(jsonQuoted(message))}}")
    }

    /// `,"contextId":…` for a named context of multi-stream-input; nothing otherwise.
    static func contextField(_ context: String?) -> String {
        guard let context, !context.isEmpty else { return "" }
        return ",\"contextId\":\(jsonQuoted(context))"
    }

    /// A WebSocket close reason: at most 123 bytes of UTF-8.
    static func closeReason(_ text: String) -> String {
        var reason = ""
        for character in text {
            guard reason.utf8.count + String(character).utf8.count <= 123 else { break }
            reason.append(character)
        }
        return reason
    }
}
