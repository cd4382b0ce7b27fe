// HTTPSpeech.swift: what an HTTP speech endpoint (the reference's `POST /tts`, OpenAI's
// `POST /v1/audio/speech`) asks of the speech path, and how its answer is written. Each
// endpoint only translates its request into a turn (typed config, text, flush) and the
// turn's audio into its response body; the session machine, engine path, limits and
// capacity are those of `/tts/ws` (TTSService+HTTPSpeech.swift).
import Foundation

/// One utterance asked over HTTP, as the native protocol's config and text.
struct HTTPSpeechPlan: Sendable, Equatable {
    var text: String
    /// The voice: the client's (`voiceGiven`), else the protocol's default or mapped one, which a
    /// model other than the default replaces with its own default (`ModelRouter`).
    var voice: String
    var voiceGiven = false
    /// The served model (name or alias) and language asked for (`TurnConfig.model`, `.language`).
    var model: String?
    var language: String?
    /// The engine's encoder for the body (one continuous encoder per response).
    var format: AudioFormat
    var sampleRate: Int = engineSampleRate
    /// Playback speed (time-stretched at the same pitch); 1: the engine's audio as it is.
    var speed: Double = 1
    /// The text is SSML (`TurnConfig.ssml`).
    var ssml = false

    /// The `data` of this plan's turn config, as a native config message's (validated by
    /// `TurnConfig.parse` like any). A voice not given is left out: the session's default voice
    /// is then `voice` (`TTSService.startSpeech`), and the turn's `voiceGiven` false.
    var configData: [String: JSONValue] {
        var data: [String: JSONValue] = voiceGiven ? ["voice": .string(voice)] : [:]
        if let model { data["model"] = .string(model) }
        if let language { data["language"] = .string(language) }
        data["format"] = .string(format.rawValue)
        data["sample_rate"] = .integer(Int64(sampleRate))
        data["speed"] = .number(speed)
        data["binary"] = .bool(true)
        if ssml { data["ssml"] = .bool(true) }
        return data
    }

    /// The turn's config, checked as a native config is.
    func turnConfig(settings: ProtocolSettings) throws(ProtocolError) -> TurnConfig {
        try TurnConfig.parse(configData, settings: settings)
    }
}

/// How an endpoint's response is written: its head, the body framing of each audio payload,
/// and its error shape.
struct HTTPSpeechOutput: Sendable {
    enum Framing: Sendable {
        /// The encoder's bytes as they are.
        case raw
        /// OpenAI's server-sent events: `speech.audio.delta` with base64 audio, then `speech.audio.done`.
        case openAIEvents
    }

    var contentType: String
    var headers: [String: String] = [:]
    var framing: Framing = .raw
    /// The answer to a request refused before any audio.
    var error: @Sendable (_ status: Int, _ message: String, _ code: String, _ param: String?) -> HTTPResponse

    func body(_ payload: [UInt8]) -> [UInt8] {
        switch framing {
        case .raw:
            return payload
        case .openAIEvents:
            let event = "{\"type\":\"speech.audio.delta\",\"audio\":\"\(Data(payload).base64EncodedString())\"}"
            return Array("data: \(event)\n\n".utf8)
        }
    }

    /// Bytes after the last audio.
    var trailer: [UInt8] {
        switch framing {
        case .raw: []
        case .openAIEvents:
            Array("data: {\"type\":\"speech.audio.done\",\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"total_tokens\":0}}\n\n".utf8)
        }
    }

    /// The answer to a request refused for `error` before any audio, in the endpoint's error
    /// shape: 503 with `Retry-After` at capacity, 500 for our failure, 400 otherwise.
    func refusal(_ error: ProtocolError) -> HTTPResponse {
        var response = self.error(Self.status(of: error), error.message, error.code.rawValue, error.key)
        if let seconds = error.retryAfterSeconds { response.headers["Retry-After"] = "\(seconds)" }
        return response
    }

    /// The HTTP status for a session error.
    static func status(of error: ProtocolError) -> Int {
        switch error.code {
        case .atCapacity: 503
        case .internalError: 500
        default: 400
        }
    }
}
