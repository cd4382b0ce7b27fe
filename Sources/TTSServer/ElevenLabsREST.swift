// ElevenLabsREST.swift: ElevenLabs' REST speech API, as the `elevenlabs` SDK's
// `text_to_speech.convert` / `.stream` call it. One utterance, streamed as it is decoded, through
// the same speech path as every HTTP endpoint (`startSpeech`).
//
//   POST /v1/text-to-speech/{voice_id}          {"text":…,"model_id":…,"voice_settings":{"speed":1.0}}
//   POST /v1/text-to-speech/{voice_id}/stream   the same (both stream the body as it is made)
//   ?output_format=mp3_44100_128 (the default; see `ElevenLabs.outputFormat`); other parameters
//    (optimize_streaming_latency, enable_logging, …) are accepted and ignored
//   GET /v1/voices                              {"voices":[{"voice_id","name","category",…}]}
//   GET /v1/models with an xi-api-key header    ElevenLabs' model list (without it: OpenAI's)
//   auth: xi-api-key (or the server's usual Authorization / X-API-Key)
//   errors: {"detail":{"status":"…","message":"…"}}
//
// `model_id` may be any name (the SDKs send `eleven_multilingual_v2`, `eleven_flash_v2_5`, …):
// every name is the served model.
import Foundation

extension TTSService {
    /// Whether a request is ElevenLabs' speech API; answers it if so.
    func elevenLabsSpeechIfMatching(_ request: HTTPRequest, _ stream: HTTPResponseStream) -> Bool {
        guard request.method == "POST",
              let variables = ElevenLabs.convert.match(request.path) ?? ElevenLabs.stream.match(request.path),
              let voiceID = variables["voice_id"] else { return false }
        if let refusal = elevenLabsAuthorization(request) {
            stream.respond(refusal)
            return true
        }
        do throws(ProtocolError) {
            let (plan, contentType) = try elevenLabsPlan(request, voiceID: voiceID)
            let output = HTTPSpeechOutput(contentType: contentType, error: { status, message, code, _ in
                ElevenLabs.errorResponse(status, code: code, message)
            })
            startSpeech(plan, output: output, stream: stream)
        } catch {
            stream.respond(ElevenLabs.errorResponse(400, code: error.code.rawValue, error.message))
        }
        return true
    }

    /// 401 in ElevenLabs' shape for a request without a valid key; nil when allowed.
    func elevenLabsAuthorization(_ request: HTTPRequest) -> HTTPResponse? {
        let decision = authenticator.check(request)
        guard decision != .allowed else { return nil }
        return ElevenLabs.errorResponse(401, code: decision == .missingKey ? "needs_authorization" : "invalid_api_key",
                                        decision == .missingKey ? "send the API key in the xi-api-key header" : "invalid API key")
    }

    /// The request's plan and content type.
    func elevenLabsPlan(_ request: HTTPRequest, voiceID: String) throws(ProtocolError) -> (HTTPSpeechPlan, String) {
        let context = WireContext(settings: ProtocolSettings(defaultVoice: defaultVoice), voices: engine?.voices ?? [])
        let name = request.query["output_format"] ?? "mp3_44100_128"
        var config = try ElevenLabs.turnConfig(voiceID: voiceID, query: request.query, defaultFormat: name, context: context).get()
        let limits = JSONLimits(maxDepth: self.config.maxJSONDepth,
                                maxBytes: max(self.config.maxMessageBytes, self.config.maxTurnTextCharacters * 8))
        guard case .object(let body)? = try? JSONValue.parse(String(decoding: request.body, as: UTF8.self), limits: limits) else {
            throw .invalidText(reason: "the body must be a JSON object")
        }
        guard case .string(let text)? = body["text"], !text.allSatisfy(\.isWhitespace) else {
            throw .invalidText(reason: "text must be a non-empty string")
        }
        guard text.unicodeScalars.count <= self.config.maxTurnTextCharacters else {
            throw .invalidText(reason: "text is longer than \(self.config.maxTurnTextCharacters) characters")
        }
        try ElevenLabs.applyVoiceSettings(body["voice_settings"], to: &config)
        func string(_ key: String) -> String? { if case .string(let value)? = body[key] { value } else { nil } }
        ElevenLabs.applyModel(modelID: string("model_id"), languageCode: string("language_code"), to: &config)
        var plan = HTTPSpeechPlan(text: text, voice: config.voice, format: config.format)
        plan.voiceGiven = config.voiceGiven
        plan.model = config.model
        plan.language = config.language
        plan.sampleRate = config.sampleRate
        plan.speed = config.speed
        plan.ssml = config.ssml || body["enable_ssml_parsing"] == .bool(true)
        return (plan, ElevenLabs.outputFormat(name)?.contentType ?? "application/octet-stream")
    }

    /// `GET /v1/voices`, and `GET /v1/models` when the request carries `xi-api-key`; nil otherwise.
    func answerElevenLabsAPI(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        let isModels = request.path == "/v1/models" && request.header(ElevenLabs.keyHeader) != nil
        guard request.path == "/v1/voices" || isModels else { return nil }
        if let refusal = elevenLabsAuthorization(request) { return refusal }
        let body: String
        if isModels {
            // `pocket-tts` (the default model), then every served model, each with its languages.
            let listed = listedModels
            let entries = [("pocket-tts", "Pocket TTS", listed.first?.languages ?? ["en"])]
                + listed.map { ($0.name, "Pocket TTS \($0.name)", $0.languages) }
            body = "[" + entries.map { id, name, languages in
                "{\"model_id\":\(jsonQuoted(id)),\"name\":\(jsonQuoted(name)),\"can_do_text_to_speech\":true,"
                    + "\"can_be_finetuned\":false,\"can_do_voice_conversion\":false,\"requires_alpha_access\":false,"
                    + "\"languages\":[" + languages.map { code in
                        "{\"language_id\":\(jsonQuoted(code)),\"name\":\(jsonQuoted(ServedModel.languageNames[code] ?? code))}"
                    }.joined(separator: ",") + "]}"
            }.joined(separator: ",") + "]"
        } else {
            let voices = engine.map { Array($0.voices).sorted() } ?? []
            body = "{\"voices\":[" + voices.map { name in
                "{\"voice_id\":\(jsonQuoted(name)),\"name\":\(jsonQuoted(name)),"
                    + "\"category\":\(jsonQuoted(voiceSource(name) == "upload" ? "cloned" : "premade")),\"labels\":{}}"
            }.joined(separator: ",") + "]}"
        }
        return HTTPResponse(status: 200, contentType: "application/json", text: body)
    }
}
