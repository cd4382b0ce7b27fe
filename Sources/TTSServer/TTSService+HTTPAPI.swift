// TTSService+HTTPAPI.swift: the HTTP endpoints beside the WebSocket, on the same port and loop.
//
//   POST /tts                 the reference's `pocket-tts serve` form API: a chunked WAV stream
//   POST /v1/audio/speech     OpenAI's speech API (OpenAIAPI.swift)
//   POST /v1/speak            Deepgram's REST speech API (DeepgramREST.swift)
//   POST /v1/text-to-speech/{voice_id}[/stream], GET /v1/voices: ElevenLabs' (ElevenLabsREST.swift)
//   GET  /v1/models, /v1/audio/models, /v1/audio/voices, /voices
//   POST /v1/voices           a voice cloned from uploaded audio -> {"voice_id"}
//   DELETE /v1/voices/{id}
//
// Speech goes through `startSpeech` (the native session rules and engine path); uploads are
// decoded and encoded on a worker queue, never on the event loop.
import Dispatch
import Foundation
import TTSEngine

extension TTSService {
    /// Form fields the server keeps from form bodies (files are always kept).
    static let formFieldNames = ["text", "voice_url", "voice", "name", "speed", "model", "language"]
    /// Paths whose form bodies are parsed (multipart or urlencoded).
    static let formPaths: Set<String> = ["/tts", "/v1/voices"]

    /// Takes the requests whose answer streams or comes later (loop thread).
    func takeStream(_ request: HTTPRequest, _ stream: HTTPResponseStream) -> Bool {
        switch (request.method, request.path) {
        case ("POST", "/tts"):
            referenceTTS(request, stream)
        case ("POST", "/v1/audio/speech"):
            openAISpeech(request, stream)
        case ("POST", "/v1/speak"):
            deepgramSpeak(request, stream)
        case ("POST", "/v1/voices"):
            uploadVoice(request, stream)
        case ("DELETE", let path) where path.hasPrefix("/v1/voices/"):
            deleteVoice(String(path.dropFirst("/v1/voices/".count)), request, stream)
        default:
            return elevenLabsSpeechIfMatching(request, stream)  // ElevenLabsREST.swift
        }
        return true
    }

    /// The GET endpoints of the HTTP API; nil for other requests.
    func answerAPI(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        if let answer = answerElevenLabsAPI(request) { return answer }  // ElevenLabsREST.swift
        let paths = ["/v1/models", "/v1/audio/models", "/v1/audio/voices", "/voices"]
        guard paths.contains(request.path) else { return nil }
        if let refusal = openAIAuthorization(request) { return refusal }
        let voices = engine.map { Array($0.voices).sorted() } ?? []
        let body: String
        switch request.path {
        case "/v1/models":
            body = openAIModelList
        case "/v1/audio/models":
            body = audioModelList
        case "/v1/audio/voices":
            body = audioVoiceList
        default:
            body = "{\"default\":\(jsonQuoted(defaultVoice)),\"voices\":["
                + voices.map { "{\"id\":\(jsonQuoted($0)),\"source\":\(jsonQuoted(voiceSource($0)))}" }.joined(separator: ",") + "],"
                + modelsMember + "}"
        }
        return HTTPResponse(status: 200, contentType: "application/json", text: body)
    }

    /// Where a served voice comes from.
    func voiceSource(_ name: String) -> String {
        let adapter = voiceStores().first { $0.voices.contains(name) } ?? voiceStore()
        if adapter?.uploads.ids.contains(name) == true || UploadedVoices.isID(name) { return "upload" }
        switch adapter?.voiceRegistry.table.entries[name]?.origin {
        case .loaded?:
            let fromDirectory = adapter?.voiceRegistry.library?.configuration.directory != nil
            return PredefinedVoiceNames.all.contains(name) && !fromDirectory ? "predefined" : "directory"
        case .added?: return "upload"
        default: return PredefinedVoiceNames.all.contains(name) ? "predefined" : "file"
        }
    }

    // MARK: POST /tts (the reference's form API)

    private func referenceTTS(_ request: HTTPRequest, _ stream: HTTPResponseStream) {
        let output = HTTPSpeechOutput(
            contentType: "audio/wav", headers: ["Content-Disposition": "attachment; filename=generated_speech.wav"],
            error: { status, message, _, _ in Self.detail(status, message) })
        if let refusal = apiKeyRefusal(request) {
            stream.respond(refusal)
            return
        }
        let form = request.form ?? HTTPForm()
        guard let text = form.fields["text"] else {
            return stream.answer(HTTPResponse(status: 422, contentType: "application/json",
                text: "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"body\",\"text\"],\"msg\":\"Field required\",\"input\":null}]}"))
        }
        guard !text.allSatisfy(\.isWhitespace) else {
            stream.respond(Self.detail(400, "Text cannot be empty"))
            return
        }
        let voiceURL = form.fields["voice_url"].flatMap { $0.isEmpty ? nil : $0 }
        let upload = form.files["voice_wav"].flatMap { $0.bytes.isEmpty && $0.filename.isEmpty ? nil : $0 }
        if voiceURL != nil, upload != nil {
            return stream.answer(Self.detail(400, "Cannot provide both voice_url and voice_wav"))
        }
        var plan = HTTPSpeechPlan(text: text, voice: defaultVoice, format: .wav)
        plan.ssml = SSMLDocument.looksLikeSSML(text)
        plan.model = form.fields["model"].flatMap { $0.isEmpty ? nil : $0 }  // ours, not the reference's
        plan.language = form.fields["language"].flatMap { $0.isEmpty ? nil : $0 }
        if let speed = form.fields["speed"].flatMap({ $0.isEmpty ? nil : $0 }) {  // ours, not the reference's
            guard let value = Double(speed), TurnConfig.speedRange.contains(value) else {
                return stream.answer(Self.detail(400, "speed must be a number from 0.25 to 4.0 (got \(speed.prefix(32)))"))
            }
            plan.speed = value
        }
        if let voiceURL {
            guard let voice = servedVoice(forURL: voiceURL) else {
                return stream.answer(Self.detail(400, "voice_url \(voiceURL.excerpt) is not available on this server: use one of "
                    + (engine.map { $0.voices.sorted().joined(separator: ", ") } ?? "")))
            }
            plan.voice = voice
            plan.voiceGiven = true
        }
        guard let upload else { return startSpeech(plan, output: output, stream: stream) }
        let base = plan
        let store: EngineSpeechAdapter?
        do throws(ProtocolError) { store = try uploadStore(model: plan.model, language: plan.language) } catch {
            return stream.answer(Self.detail(400, error.message))
        }
        cloneVoice(upload.bytes, into: store, stream: stream, refuse: { Self.detail(400, $0) }) { id, isNew in
            var plan = base
            plan.voice = id
            plan.voiceGiven = true
            self.startSpeech(plan, output: output, stream: stream)  // the engine copied the state at startTurn
            if isNew { store?.uploads.remove(id) }
        }
    }

    /// A predefined name, a served voice's name, or the `hf://` address of a predefined voice.
    private func servedVoice(forURL url: String) -> String? {
        guard let voices = engine?.voices else { return nil }
        if voices.contains(url) { return url }
        if url.hasPrefix("hf://") {
            let file = url.split(separator: "/").last.map(String.init) ?? ""
            let name = String(file.prefix { $0 != "." && $0 != "@" })
            if PredefinedVoiceNames.all.contains(name), voices.contains(name) { return name }
        }
        return nil
    }

    static func detail(_ status: Int, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", text: "{\"detail\":\(jsonQuoted(message))}")
    }

    /// 401 for a request without a valid key, in the reference's shape.
    private func apiKeyRefusal(_ request: HTTPRequest) -> HTTPResponse? {
        let decision = authenticator.check(request)
        guard decision != .allowed else { return nil }
        return HTTPResponse(status: 401, contentType: "application/json",
                            text: "{\"detail\":\(jsonQuoted(decision == .missingKey ? "Not authenticated" : "Invalid API key"))}",
                            headers: ["WWW-Authenticate": "Bearer"])
    }

    // MARK: Voices

    /// Where `store`'s uploaded voices are persisted: its voices directory when `persist_uploaded_voices`.
    func uploadDirectory(of store: EngineSpeechAdapter?) -> String? {
        guard config.persistUploadedVoices else { return nil }
        return store?.voiceRegistry.library?.configuration.directory
    }

    /// Every model's voices and uploads (one store without a `ModelRouter`).
    func voiceStores() -> [EngineSpeechAdapter] {
        guard let router = engine as? ModelRouter else { return voiceStore().map { [$0] } ?? [] }
        return router.entries.compactMap(\.voiceStore)
    }

    /// The store an upload goes to: the model a form's `model` (or `language`) names, else the
    /// default model's; `.invalidConfig` listing the models served for one not served.
    func uploadStore(model: String?, language: String?) throws(ProtocolError) -> EngineSpeechAdapter? {
        guard let router = engine as? ModelRouter, model != nil || language != nil else { return voiceStore() }
        return try router.entry(model: model, language: language).voiceStore
    }

    /// Clones `bytes` into `store` on a worker; `then` runs on the loop with the voice id and
    /// whether it is new. `persist`: kept in the voices directory too, when the server persists uploads.
    func cloneVoice(_ bytes: [UInt8], into store: EngineSpeechAdapter?, stream: HTTPResponseStream, persist: Bool = false,
                    refuse: @escaping @Sendable (String) -> HTTPResponse, then: @escaping @Sendable (String, Bool) -> Void) {
        guard let adapter = store, let library = adapter.voiceRegistry.library else {
            return stream.answer(refuse("voice cloning is not available on this server"))
        }
        let maxBytes = config.maxVoiceUploadBytes
        let maxSeconds = config.maxVoiceUploadSeconds
        let directory = persist ? uploadDirectory(of: adapter) : nil
        let logger = self.logger
        DispatchQueue.global(qos: .userInitiated).async { [weak self] in
            let known = adapter.uploads.ids
            let result: Result<String, UploadedVoices.UploadError>
            do throws(UploadedVoices.UploadError) {
                result = .success(try adapter.uploads.add(audio: bytes, maxBytes: maxBytes, maxSeconds: maxSeconds, library: library,
                                                          persistIn: directory))
            } catch {
                result = .failure(error)
            }
            self?.post {
                switch result {
                case .success(let id): then(id, !known.contains(id))
                case .failure(let error):
                    if case .notSaved(let reason) = error { logger.error("uploaded voice not saved: \(reason)") }
                    stream.respond(refuse(error.description))
                }
            }
        }
    }

    private func uploadVoice(_ request: HTTPRequest, _ stream: HTTPResponseStream) {
        if let refusal = openAIAuthorization(request) {
            stream.respond(refusal)
            return
        }
        guard let file = request.form?.files["audio"] ?? request.form?.files["file"] ?? request.form?.files.values.first else {
            return stream.answer(Self.openAIError(400, "send the audio as a multipart/form-data file field \"audio\"",
                                                   param: "audio"))
        }
        let refuse: @Sendable (String) -> HTTPResponse = { Self.openAIError(400, $0, param: "audio") }
        let model = request.form?.fields["model"].flatMap { $0.isEmpty ? nil : $0 }
        let store: EngineSpeechAdapter?
        do throws(ProtocolError) { store = try uploadStore(model: model, language: nil) } catch {
            return stream.answer(Self.openAIError(400, error.message, param: "model"))
        }
        cloneVoice(file.bytes, into: store, stream: stream, persist: true, refuse: refuse) { [weak self] id, _ in
            self?.logger.info("voice uploaded", metadata: ["voice_id": "\(id)", "bytes": "\(file.bytes.count)",
                                                          "model": "\(model ?? "default")"])
            stream.respond(HTTPResponse(status: 201, contentType: "application/json",
                                        text: "{\"voice_id\":\(jsonQuoted(id)),\"id\":\(jsonQuoted(id))}"))
        }
    }

    /// Forgets an uploaded voice, and deletes its file when uploads are persisted (on a worker:
    /// a file operation), which also takes it out of the voices offered from the directory.
    private func deleteVoice(_ id: String, _ request: HTTPRequest, _ stream: HTTPResponseStream) {
        if let refusal = openAIAuthorization(request) { return stream.answer(refusal) }
        let notFound = Self.openAIError(404, "no uploaded voice \(id)", type: "not_found_error", param: "voice_id")
        guard let adapter = voiceStores().first(where: { $0.uploads.ids.contains(id) }) ?? voiceStore() else {
            return stream.answer(notFound)
        }
        let directory = uploadDirectory(of: adapter)
        let logger = self.logger
        DispatchQueue.global(qos: .userInitiated).async { [weak self] in
            let removed = adapter.uploads.remove(id, persistedIn: directory)
            if removed, let directory {
                let file = UploadedVoices.file(of: id, in: directory)
                try? adapter.voiceRegistry.update { table in
                    table.entries[id]?.origin == .loaded(path: file) ? table.removing(name: id) : table
                }
            }
            self?.post {
                guard removed else { return stream.answer(notFound) }
                logger.info("voice deleted", metadata: ["voice_id": "\(id)"])
                stream.respond(HTTPResponse(status: 200, contentType: "application/json",
                                            text: "{\"voice_id\":\(jsonQuoted(id)),\"deleted\":true}"))
            }
        }
    }
}

/// The predefined voices' names (ModelHub's `PredefinedVoices`, not imported by the server).
enum PredefinedVoiceNames {
    static let all: Set<String> = ["alba", "marius", "javert", "jean", "fantine", "cosette", "eponine", "azelma"]
}

extension HTTPResponseStream {
    /// `respond` for a handler that ends with it.
    func answer(_ response: HTTPResponse) { respond(response) }
}
