// TurnConfig.swift: the validated settings of one turn, parsed from the `data` object of a
// `{"type":"config"}` message. Unknown keys are ignored (clients send `pauses`); a known key
// with a bad value is an `.invalidConfig` naming it; `null` means "the default". `model` and
// `language` are checked against the models served when the turn starts (`ModelRouter`).
import AudioIO
import PocketTTS
import TextNormalization

/// How audio is sent back.
public enum AudioFormat: String, Sendable, CaseIterable {
    /// Signed 16-bit little-endian PCM.
    case pcm
    /// 32-bit float little-endian PCM.
    case pcmF32 = "pcm_f32"
    /// One raw Opus packet of 80 ms per message.
    case opus
    /// An Ogg Opus stream, in pages.
    case ogg
    /// G.711 μ-law, 8 bits per sample.
    case mulaw
    /// G.711 A-law, 8 bits per sample.
    case alaw
    /// A WAV stream (16-bit PCM) whose header declares an unknown length.
    case wav
    /// A constant-bit-rate MP3 stream (LAME).
    case mp3
    /// A FLAC stream (libsndfile), 16-bit, whose header declares an unknown length.
    case flac
}

/// Server-side bounds and defaults for what clients may ask.
public struct ProtocolSettings: Sendable, Equatable {
    /// The voice of a config without "voice".
    public var defaultVoice: String
    /// Unicode scalars in one text message.
    public var maxTextMessageCharacters: Int
    /// Unicode scalars in all the text of one turn.
    public var maxTurnTextCharacters: Int
    /// Upper bound of `lsd_decode_steps`.
    public var maxLSDDecodeSteps: Int
    /// Upper bound of `max_tokens` (the hard cap of every chunk; bounds the stream's KV cache).
    public var maxTokensPerChunk: Int
    /// `max_buffer_delay_ms` of a config without it.
    public var defaultMaxBufferDelayMs: Int
    /// Size and nesting bounds of a client's JSON message, checked before it is parsed.
    public var jsonLimits: JSONLimits
    /// `normalize` of a config without it.
    public var normalize: Bool
    /// The server's pronunciations, under each turn's own.
    public var pronunciations: Pronunciations
    /// Formats a config may name besides the native ones: `mp3` and `flac` for the HTTP API
    /// only (the WebSocket protocol does not offer them).
    public var extraFormats: Set<AudioFormat> = []

    /// The formats of the native protocol.
    public static let nativeFormats = AudioFormat.allCases.filter { $0 != .mp3 && $0 != .flac }

    public init(
        defaultVoice: String = "alba", maxTextMessageCharacters: Int = 10_000,
        maxTurnTextCharacters: Int = 100_000, maxLSDDecodeSteps: Int = 32, maxTokensPerChunk: Int = 100,
        defaultMaxBufferDelayMs: Int = TurnConfig.defaultMaxBufferDelayMs,
        normalize: Bool = true, pronunciations: Pronunciations = Pronunciations(),
        jsonLimits: JSONLimits = JSONLimits()
    ) {
        self.defaultVoice = defaultVoice
        self.maxTextMessageCharacters = maxTextMessageCharacters
        self.maxTurnTextCharacters = maxTurnTextCharacters
        self.maxLSDDecodeSteps = maxLSDDecodeSteps
        self.maxTokensPerChunk = maxTokensPerChunk
        self.defaultMaxBufferDelayMs = defaultMaxBufferDelayMs
        self.jsonLimits = jsonLimits
        self.normalize = normalize
        self.pronunciations = pronunciations
    }
}

/// One turn's settings, every value checked.
public struct TurnConfig: Sendable, Equatable {
    public static let sampleRateRange = 8000...48000
    /// Sample rates libopus encodes (for `opus`; `ogg` resamples internally).
    public static let opusSampleRates: Set<Int> = [8000, 12000, 16000, 24000, 48000]
    /// Milliseconds text may wait for a sentence end before it is spoken (README, "Live text").
    public static let defaultMaxBufferDelayMs = 1000
    public static let maxBufferDelayRange = 0...10_000
    /// `speed` values a config may ask (OpenAI's range).
    public static let speedRange = TimeStretcher.speedRange

    public var voice: String
    /// Whether the client named `voice` (else it is the protocol's default or mapped voice): a
    /// voice named must be one of the turn's model's; otherwise the model's default is spoken
    /// (`ModelRouter`).
    public var voiceGiven = false
    /// The served model the turn asks for, by name or alias; nil: by `language`, else the default model.
    public var model: String? = nil
    /// The language the turn asks for ("fr", "fr-FR", "french"): the first served model of it.
    public var language: String? = nil
    public var sampleRate: Int = 24000
    public var format: AudioFormat = .pcm
    /// Binary frames; otherwise base64 inside JSON `audio` messages.
    public var binary: Bool = true
    /// Variance of the flow noise; 0 is deterministic. nil: the model's `default_temperature` (0.3).
    public var temperature: Float? = nil
    public var lsdDecodeSteps: Int = 1
    /// EOS logit threshold. nil: the model's `default_eos_threshold` (-4; the tiny models -1).
    public var eosThreshold: Float? = nil
    /// Noise truncated to ±noiseClamp; nil: no clamp.
    public var noiseClamp: Float? = nil
    /// nil until the session picks one at random; `TurnStart.config.seed` is always set.
    public var seed: UInt64? = nil
    /// Tokens per generated chunk (`split_into_best_sentences(max_tokens:)`), and the hard
    /// cap of every chunk handed to the engine: it bounds the stream's KV cache.
    public var maxTokens: Int = 50
    /// Say numbers, money, dates, units and abbreviations as words (`TextNormalizer`) before
    /// speaking; the LiveKit plugin sends `"normalize": true`. Default: the server's (on).
    public var normalize: Bool = true
    /// The server's pronunciations with the turn's own `pronunciations` (words only) over them.
    public var pronunciations = Pronunciations()

    /// How the turn's text is rewritten before it is spoken.
    public var textNormalizer: TextNormalizer {
        TextNormalizer(language: normalizerLanguage, pronunciations: pronunciations, readsRules: normalize)
    }
    /// Whose reading rules `normalize` applies: set when the turn starts from `language` or the
    /// chosen model's language (`SessionMachine.Configuration.turnLanguage`); English by default.
    public var normalizerLanguage: NormalizerLanguage = .english
    /// Milliseconds buffered text waits for a sentence end before it is spoken anyway
    /// (`TextSegmenter`); 0: every group of 3 whole words is spoken as soon as it is complete.
    public var maxBufferDelayMs: Int = TurnConfig.defaultMaxBufferDelayMs
    /// Playback speed, 0.25-4.0 (OpenAI's range): the audio is time-stretched at the same
    /// pitch (`TimeStretcher`); 1 leaves it untouched.
    public var speed: Double = 1
    /// Set by adapters, never by a client: an empty audio payload goes before the first audio
    /// of each text chunk after the first, so that the adapter can group audio by the pieces
    /// the live-text segmenter released (Wyoming's audio-start/stop per piece).
    public var marksPieces = false
    /// The turn's text is an SSML document (README "SSML"), parsed at the flush: native
    /// `"ssml": true`, Wyoming's `text_format: ssml`, ElevenLabs' `enable_ssml_parsing`, an
    /// OpenAI or reference-form text that starts with `<speak>`.
    public var ssml = false

    public init(voice: String) {
        self.voice = voice
    }

    /// Validates the `data` object of a config message.
    public static func parse(_ data: [String: JSONValue], settings: ProtocolSettings) throws(ProtocolError) -> TurnConfig {
        var config = TurnConfig(voice: settings.defaultVoice)
        config.maxBufferDelayMs = settings.defaultMaxBufferDelayMs
        let reader = ConfigReader(data: data)
        if let voice = try reader.string("voice") {
            guard !voice.isEmpty, voice.unicodeScalars.count <= 128 else {
                throw .invalidConfig(key: "voice", reason: "must be a non-empty name of at most 128 characters")
            }
            config.voice = voice
            config.voiceGiven = true
        }
        for (key, path) in [("model", \TurnConfig.model), ("language", \TurnConfig.language)] {
            guard let name = try reader.string(key) else { continue }
            guard !name.isEmpty, name.unicodeScalars.count <= 128 else {
                throw .invalidConfig(key: key, reason: "must be a non-empty name of at most 128 characters")
            }
            config[keyPath: path] = name
        }
        if let format = try reader.string("format") {
            guard let value = AudioFormat(rawValue: format),
                  ProtocolSettings.nativeFormats.contains(value) || settings.extraFormats.contains(value) else {
                let names = (ProtocolSettings.nativeFormats + settings.extraFormats.sorted { $0.rawValue < $1.rawValue })
                    .map(\.rawValue).joined(separator: ", ")
                throw .invalidConfig(key: "format", reason: "must be one of \(names) (got \"\(String(format.unicodeScalars.prefix(32)))\")")
            }
            config.format = value
        }
        if let rate = try reader.integer("sample_rate", in: Int64(sampleRateRange.lowerBound)...Int64(sampleRateRange.upperBound)) {
            config.sampleRate = Int(rate)
        }
        if config.format == .opus, !opusSampleRates.contains(config.sampleRate) {
            throw .invalidConfig(key: "sample_rate", reason: "must be one of 8000, 12000, 16000, 24000, 48000 for opus (got \(config.sampleRate))")
        }
        if let binary = try reader.bool("binary") { config.binary = binary }
        if let temperature = try reader.number("temperature", where: { $0 >= 0 }, expected: "a number >= 0") {
            config.temperature = Float(temperature)
        }
        if let speed = try reader.number("speed", where: { speedRange.contains($0) }, expected: "a number from 0.25 to 4.0") {
            config.speed = speed
        }
        if let steps = try reader.integer("lsd_decode_steps", in: 1...Int64(settings.maxLSDDecodeSteps)) {
            config.lsdDecodeSteps = Int(steps)
        }
        if let threshold = try reader.number("eos_threshold", where: { _ in true }, expected: "a number") {
            config.eosThreshold = Float(threshold)
        }
        if let clamp = try reader.number("noise_clamp", where: { Float($0) > 0 }, expected: "a number > 0 or null") {
            config.noiseClamp = Float(clamp)
        }
        if let seed = try reader.integer("seed", in: 0...Int64.max) { config.seed = UInt64(seed) }
        if let tokens = try reader.integer("max_tokens", in: 1...Int64(settings.maxTokensPerChunk)) {
            config.maxTokens = Int(tokens)
        }
        config.normalize = try reader.bool("normalize") ?? settings.normalize
        config.ssml = try reader.bool("ssml") ?? false
        config.pronunciations = settings.pronunciations.merging(try parsePronunciations(data["pronunciations"]))
        let delayRange = Int64(maxBufferDelayRange.lowerBound)...Int64(maxBufferDelayRange.upperBound)
        if let delay = try reader.integer("max_buffer_delay_ms", in: delayRange) { config.maxBufferDelayMs = Int(delay) }
        return config
    }
}

/// Typed reads of config keys: nil when absent or null, `.invalidConfig(key:)` when mistyped.
private struct ConfigReader {
    let data: [String: JSONValue]

    private func value(_ key: String) -> JSONValue? {
        guard let value = data[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws(ProtocolError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else {
            throw .invalidConfig(key: key, reason: "must be a string (got \(value.typeName))")
        }
        return text
    }

    func bool(_ key: String) throws(ProtocolError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else {
            throw .invalidConfig(key: key, reason: "must be true or false (got \(value.typeName))")
        }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws(ProtocolError) -> Int64? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value, range.contains(number) else {
            throw .invalidConfig(key: key, reason: "must be an integer in \(range.lowerBound)...\(range.upperBound) (got \(value.brief))")
        }
        return number
    }

    func number(_ key: String, where isValid: (Double) -> Bool, expected: String) throws(ProtocolError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue, number.isFinite, Float(number).isFinite, isValid(number) else {
            throw .invalidConfig(key: key, reason: "must be \(expected) (got \(value.brief))")
        }
        return number
    }
}
