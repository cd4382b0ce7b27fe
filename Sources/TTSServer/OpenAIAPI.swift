// OpenAIAPI.swift: OpenAI's `POST /v1/audio/speech` as chat front-ends, agent frameworks and
// home-automation integrations call it: JSON `model` (OpenAI's names and `pocket-tts`: the default
// model; a served model's name: that model), `input`, `voice`, `response_format`
// (mp3 by default), `speed`, `instructions`, `stream_format` (audio or sse); errors as OpenAI's
// error object; `Authorization: Bearer` with the server's keys.
extension TTSService {
    /// `response_format` to the engine's encoder and the body's content type.
    static let openAIFormats: [String: (format: AudioFormat, contentType: String)] = [
        "mp3": (.mp3, "audio/mpeg"), "wav": (.wav, "audio/wav"), "pcm": (.pcm, "audio/pcm"), "opus": (.ogg, "audio/opus"),
        "flac": (.flac, "audio/flac"),
    ]

    static func openAIError(_ status: Int, _ message: String, type: String = "invalid_request_error",
                            param: String? = nil, code: String? = nil) -> HTTPResponse {
        let body = "{\"error\":{\"message\":\(jsonQuoted(message)),\"type\":\(jsonQuoted(type)),"
            + "\"param\":\(param.map(jsonQuoted) ?? "null"),\"code\":\(code.map(jsonQuoted) ?? "null")}}"
        return HTTPResponse(status: status, contentType: "application/json", text: body)
    }

    /// 401 in OpenAI's shape for a request without a valid key; nil when allowed.
    func openAIAuthorization(_ request: HTTPRequest) -> HTTPResponse? {
        let decision = authenticator.check(request)
        guard decision != .allowed else { return nil }
        var response = Self.openAIError(401, decision == .missingKey
            ? "You didn't provide an API key: send it as \"Authorization: Bearer <key>\"." : "Incorrect API key provided.",
            code: "invalid_api_key")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    }

    func openAISpeech(_ request: HTTPRequest, _ stream: HTTPResponseStream) {
        if let refusal = openAIAuthorization(request) {
            stream.respond(refusal)
            return
        }
        let limits = JSONLimits(maxDepth: config.maxJSONDepth, maxBytes: max(config.maxMessageBytes, config.maxTurnTextCharacters * 8))
        guard request.body.count <= limits.maxBytes else {
            stream.respond(Self.openAIError(413, "the body is larger than \(limits.maxBytes) bytes"))
            return
        }
        parseJSONBody(request, limits: limits) { [self] parsed in
            do throws(OpenAIRequestError) {
                let (plan, output) = try openAIPlan(parsed)
                if case .object(let body) = try? parsed.get(), case .string(let model)? = body["model"] {
                    logger.debug("openai speech", metadata: ["model": "\(model.excerpt)"])
                }
                startSpeech(plan, output: output, stream: stream)
            } catch {
                stream.respond(Self.openAIError(400, error.message, param: error.param))
            }
        }
    }

    struct OpenAIRequestError: Error {
        var message: String
        var param: String?
    }

    /// The request's plan and output, or the parameter at fault.
    func openAIPlan(_ parsed: Result<JSONValue, ProtocolError>) throws(OpenAIRequestError) -> (HTTPSpeechPlan, HTTPSpeechOutput) {
        let body: [String: JSONValue]
        switch parsed {
        case .success(.object(let object)): body = object
        case .success: throw OpenAIRequestError(message: "the body must be a JSON object")
        case .failure(.invalidJSON(let detail)): throw OpenAIRequestError(message: "the body is not valid JSON: \(detail)")
        case .failure(let error): throw OpenAIRequestError(message: error.message)
        }
        guard case .string(let input)? = body["input"], !input.allSatisfy(\.isWhitespace) else {
            throw OpenAIRequestError(message: "input must be a non-empty string", param: "input")
        }
        guard input.unicodeScalars.count <= config.maxTurnTextCharacters else {
            throw OpenAIRequestError(message: "input is longer than \(config.maxTurnTextCharacters) characters", param: "input")
        }
        let (voice, voiceGiven) = try openAIVoice(body["voice"])
        let model = try openAIModel(body["model"])
        var formatName = "mp3"
        if let value = body["response_format"], value != .null {
            guard case .string(let name) = value else {
                throw OpenAIRequestError(message: "response_format must be a string", param: "response_format")
            }
            formatName = name
        }
        if formatName == "aac" {
            throw OpenAIRequestError(message: "response_format aac is not supported by this server: use mp3, opus, flac, wav or pcm",
                                     param: "response_format")
        }
        guard let (format, contentType) = Self.openAIFormats[formatName] else {
            throw OpenAIRequestError(message: "response_format must be one of mp3, opus, flac, wav, pcm (got \(formatName.excerpt))",
                                     param: "response_format")
        }
        var streamFormat = "audio"
        if let value = body["stream_format"], value != .null {
            guard case .string(let name) = value, ["audio", "sse"].contains(name) else {
                throw OpenAIRequestError(message: "stream_format must be audio or sse", param: "stream_format")
            }
            streamFormat = name
        }
        if streamFormat == "sse", formatName == "mp3" {
            throw OpenAIRequestError(message: "stream_format sse is not supported with response_format mp3: use pcm, wav or opus",
                                     param: "stream_format")
        }
        let speed = try openAISpeed(body["speed"])
        var headers: [String: String] = [:]
        if case .string(let instructions)? = body["instructions"], !instructions.isEmpty {
            headers["X-Ignored-Parameters"] = "instructions"
        }
        let output = HTTPSpeechOutput(
            contentType: streamFormat == "sse" ? "text/event-stream" : contentType, headers: headers,
            framing: streamFormat == "sse" ? .openAIEvents : .raw,
            error: { status, message, code, param in
                Self.openAIError(status, message, type: status >= 500 ? "server_error" : "invalid_request_error",
                                 param: param ?? (code == "unknown_voice" ? "voice" : nil), code: code)
            })
        var plan = HTTPSpeechPlan(text: input, voice: voice, format: format, speed: speed)
        plan.voiceGiven = voiceGiven
        plan.model = model
        plan.ssml = SSMLDocument.looksLikeSSML(input)
        return (plan, output)
    }

    /// A served model's name (or alias): that model; OpenAI's own names, `pocket-tts` or none:
    /// nil, the default model (an unserved name is refused when the turn starts, listing those served).
    private func openAIModel(_ value: JSONValue?) throws(OpenAIRequestError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let name)?: return name.isEmpty || Self.openAIModelNames.contains(name) ? nil : name
        default: throw OpenAIRequestError(message: "model must be a string", param: "model")
        }
    }

    /// A served voice (given), or an OpenAI name through `config.openAIVoices` (its voice if
    /// served, else the default voice; not given: a model other than the default speaks its own
    /// default voice). `voice` may be a name or `{"id": name}`.
    private func openAIVoice(_ value: JSONValue?) throws(OpenAIRequestError) -> (String, given: Bool) {
        var name: String?
        switch value {
        case .string(let text)?: name = text
        case .object(let object)?: if case .string(let id)? = object["id"] { name = id }
        default: break
        }
        let served = engine?.voices ?? []
        guard let name else {
            throw OpenAIRequestError(message: "voice must be one of " + validVoices(served), param: "voice")
        }
        if served.contains(name) { return (name, true) }
        if let mapped = config.openAIVoices[name.lowercased()] { return (served.contains(mapped) ? mapped : defaultVoice, false) }
        throw OpenAIRequestError(message: "voice \(name.excerpt) is not available: use one of " + validVoices(served), param: "voice")
    }

    private func validVoices(_ served: Set<String>) -> String {
        (served.sorted() + config.openAIVoices.keys.sorted()).joined(separator: ", ")
    }

    /// `speed`, 0.25-4.0 (1 when absent): the audio is time-stretched at the same pitch.
    private func openAISpeed(_ value: JSONValue?) throws(OpenAIRequestError) -> Double {
        let speed: Double
        switch value {
        case nil, .null?: return 1
        case .integer(let number)?: speed = Double(number)
        case .number(let number)?: speed = number
        default: throw OpenAIRequestError(message: "speed must be a number from 0.25 to 4.0", param: "speed")
        }
        guard TurnConfig.speedRange.contains(speed) else {
            throw OpenAIRequestError(message: "speed must be from 0.25 to 4.0 (got \(speed))", param: "speed")
        }
        return speed
    }
}
