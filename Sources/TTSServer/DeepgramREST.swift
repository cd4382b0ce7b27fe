// DeepgramREST.swift: Deepgram's REST speech API, `POST /v1/speak?model=…` with the body
// {"text":"…"}, as the Deepgram SDK's `speak.v1.audio.generate` and LiveKit's
// `deepgram.TTS.synthesize()` call it. One utterance, streamed as it is decoded, through the
// same speech path as every HTTP endpoint (`startSpeech`). (`GET /v1/speak` is the
// WebSocket, DeepgramAdapter.swift.)
//
//   ?model=aura-2-alba-en   the voice, as on the WebSocket (unknown: the default voice)
//   ?encoding=              mp3 (Deepgram's default), linear16, mulaw, alaw
//   ?container=             linear16: wav (Deepgram's default) or none; the others: none
//   ?sample_rate=, ?speed=  as on the WebSocket; other parameters are accepted and ignored
//   errors                  {"err_code":…,"err_msg":…}
import Foundation

extension TTSService {
    static let deepgramRESTFormats: [String: (format: AudioFormat, contentType: String)] = [
        "mp3": (.mp3, "audio/mpeg"), "linear16": (.pcm, "audio/l16"), "mulaw": (.mulaw, "audio/basic"),
        "alaw": (.alaw, "audio/x-alaw-basic"),
    ]

    static func deepgramError(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json",
                     text: "{\"err_code\":\(jsonQuoted(code)),\"err_msg\":\(jsonQuoted(message))}")
    }

    func deepgramSpeak(_ request: HTTPRequest, _ stream: HTTPResponseStream) {
        guard authenticator.check(request) == .allowed else {
            stream.respond(Self.deepgramError(401, "INVALID_AUTH", "Invalid credentials: send \"Authorization: Token <key>\""))
            return
        }
        do throws(DeepgramRefusal) {
            let (plan, contentType) = try deepgramPlan(request)
            let output = HTTPSpeechOutput(contentType: contentType, headers: ["dg-model-name": request.query["model"] ?? plan.voice],
                                          error: { status, message, code, _ in Self.deepgramError(status, code.uppercased(), message) })
            startSpeech(plan, output: output, stream: stream)
        } catch {
            stream.respond(error.response)
        }
    }

    struct DeepgramRefusal: Error {
        var response: HTTPResponse
    }

    /// The request's plan and content type, or its 400.
    func deepgramPlan(_ request: HTTPRequest) throws(DeepgramRefusal) -> (HTTPSpeechPlan, String) {
        func refused(_ message: String) -> DeepgramRefusal {
            DeepgramRefusal(response: Self.deepgramError(400, "Bad Request", message))
        }
        let encoding = request.query["encoding"] ?? "mp3"
        guard let (format, contentType) = Self.deepgramRESTFormats[encoding] else {
            throw refused("encoding must be mp3, linear16, mulaw or alaw (got \"\(encoding.prefix(32))\")")
        }
        var webSocketQuery = request  // sample_rate, speed and container as the WebSocket checks them
        webSocketQuery.query["encoding"] = encoding == "mp3" ? nil : encoding
        if encoding == "mp3", let container = request.query["container"], container != "none" {
            throw refused("container \(container.prefix(32)) is not available with mp3")
        }
        if let refusal = DeepgramAdapter.refusal(webSocketQuery) { throw DeepgramRefusal(response: refusal) }
        let limits = JSONLimits(maxDepth: config.maxJSONDepth, maxBytes: max(config.maxMessageBytes, config.maxTurnTextCharacters * 8))
        guard case .object(let body)? = try? JSONValue.parse(String(decoding: request.body, as: UTF8.self), limits: limits),
              case .string(let text)? = body["text"], !text.allSatisfy(\.isWhitespace) else {
            throw refused("the body must be a JSON object with a non-empty string \"text\"")
        }
        guard text.unicodeScalars.count <= config.maxTurnTextCharacters else {
            throw refused("text is longer than \(config.maxTurnTextCharacters) characters")
        }
        let served = request.query["model"].flatMap { DeepgramAdapter.servedModel($0, in: models) }
        let named = served == nil ? request.query["model"].flatMap { DeepgramAdapter.voice(model: $0, in: engine?.voices ?? []) } : nil
        var plan = HTTPSpeechPlan(text: text, voice: named ?? defaultVoice, format: format)
        plan.voiceGiven = named != nil
        plan.model = served
        if format == .pcm, request.query["container"] ?? "wav" == "wav" { plan.format = .wav }
        let wav = plan.format == .wav
        plan.sampleRate = request.query["sample_rate"].flatMap(Int.init) ?? (format == .pcm || format == .mp3 ? engineSampleRate : 8000)
        plan.speed = request.query["speed"].flatMap(Double.init) ?? 1
        return (plan, wav ? "audio/wav" : contentType)
    }
}
