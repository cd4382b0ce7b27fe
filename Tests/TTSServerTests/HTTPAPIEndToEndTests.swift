import AudioIO
import Foundation
import PocketTTS
import Testing
import TTSEngine
@testable import TTSServer

/// The HTTP API through the real server on loopback: the real engine over the tiny model, a
/// raw HTTP/1.1 client reading the chunked body as the server writes it.
@Suite struct HTTPAPIEndToEndTests {
    /// Many sentences: generation lasts many frames, so the first chunk comes long before the end.
    static let longText = Array(repeating: "The river was calm today.", count: 24).joined(separator: " ")

    @Test func referenceTTSStreamsAChunkedWAVBeforeGenerationEnds() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let (body, type) = multipartBody(fields: ["text": Self.longText])
        let client = try HTTPTestClient(port: fixture.port)
        let head = try client.send(path: "/tts", headers: ["Content-Type": type], body: body)
        #expect(head.status == 200)
        #expect(head.headers["content-type"] == "audio/wav")
        #expect(head.headers["transfer-encoding"] == "chunked")
        #expect(head.headers["content-disposition"] == "attachment; filename=generated_speech.wav")
        let first = try #require(try client.nextChunk())
        // The first audio is here while the engine still generates the turn.
        #expect(fixture.adapter.openTurnCount == 1)
        #expect(Array(first.prefix(4)) == Array("RIFF".utf8))
        let rest = try client.restOfBody()
        let pcmBytes = first.count + rest.count - 44
        #expect(pcmBytes > 0 && pcmBytes % 2 == 0)
        #expect(pcmBytes / 2 >= 24 * 1920)  // at least a frame a sentence (sampling decides the rest)
        #expect(eventually { fixture.adapter.openTurnCount == 0 })
    }

    @Test func referenceTTSErrorsAsTheReferenceGivesThem() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        func post(_ fields: [String: String], files: [String: (String, [UInt8])] = [:]) throws -> TestHTTPResponse {
            let (body, type) = multipartBody(fields: fields, files: files)
            return try HTTPTestClient(port: fixture.port).send(path: "/tts", headers: ["Content-Type": type], body: body)
        }
        let empty = try HTTPTestClient(port: fixture.port).send(
            path: "/tts", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array("text=%20%20".utf8))
        #expect(empty.status == 400 && jsonObject(empty.body)?["detail"] as? String == "Text cannot be empty")
        let both = try post(["text": "Hi there.", "voice_url": "alba"], files: ["voice_wav": ("a.wav", [1, 2, 3])])
        #expect(both.status == 400 && jsonObject(both.body)?["detail"] as? String == "Cannot provide both voice_url and voice_wav")
        let unknown = try post(["text": "Hi there.", "voice_url": "nobody"])
        #expect(unknown.status == 400 && (jsonObject(unknown.body)?["detail"] as? String)?.contains("alba") == true)
        let missing = try post(["voice_url": "alba"])
        #expect(missing.status == 422)
        // A predefined voice by name, urlencoded: speaks.
        let client = try HTTPTestClient(port: fixture.port)
        let ok = try client.send(path: "/tts", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                 body: Array("text=Hello+big+world.&voice_url=alba".utf8))
        #expect(ok.status == 200)
        #expect(try client.restOfBody().count > 44)
    }

    @Test func apiKeysGuardEveryEndpoint() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let (body, type) = multipartBody(fields: ["text": "Hello big world."])
        let refused = try HTTPTestClient(port: fixture.port).send(path: "/tts", headers: ["Content-Type": type], body: body)
        #expect(refused.status == 401)
        let client = try HTTPTestClient(port: fixture.port)
        let allowed = try client.send(path: "/tts", headers: ["Content-Type": type, "X-API-Key": "secret"], body: body)
        #expect(allowed.status == 200)
        _ = try client.restOfBody()

        let speech = Array("{\"model\":\"x\",\"input\":\"Hi there.\",\"voice\":\"alloy\"}".utf8)
        let wrong = try HTTPTestClient(port: fixture.port).send(
            path: "/v1/audio/speech", headers: ["Content-Type": "application/json", "Authorization": "Bearer nope"], body: speech)
        #expect(wrong.status == 401)
        let error = jsonObject(wrong.body)?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "invalid_api_key" && error?["type"] as? String == "invalid_request_error")
        let models = try httpRequest(port: fixture.port, path: "/v1/models")
        #expect(models.status == 401)
        #expect(try httpRequest(port: fixture.port, path: "/v1/models", headers: ["Authorization": "Bearer secret"]).status == 200)
    }

    @Test func openAISpeechStreamsMP3ByDefault() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let client = try HTTPTestClient(port: fixture.port)
        let request = "{\"model\":\"tts-1\",\"input\":\(jsonQuoted(Self.longText)),\"voice\":\"alloy\",\"instructions\":\"Speak softly.\"}"
        let head = try client.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: Array(request.utf8))
        #expect(head.status == 200)
        #expect(head.headers["content-type"] == "audio/mpeg")
        #expect(head.headers["x-ignored-parameters"] == "instructions")
        let first = try #require(try client.nextChunk())
        #expect(fixture.adapter.openTurnCount == 1)
        let mp3 = first + (try client.restOfBody())
        // One continuous stream: MPEG frame sync at the start (so no ID3 tag, which would come
        // first), and no Xing/Info header in the first frame, where LAME puts it. (A search of the
        // whole stream matched random MPEG data now and then: these are 3-4 byte patterns.)
        #expect(mp3[0] == 0xFF && mp3[1] & 0xE0 == 0xE0)
        let firstFrame = Array(mp3.prefix(64))
        #expect(firstFrame.firstRange(of: Array("Xing".utf8)) == nil && firstFrame.firstRange(of: Array("Info".utf8)) == nil)
    }

    @Test func openAISpeechFormatsAndEvents() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        func speech(_ json: String) throws -> (TestHTTPResponse, [UInt8]) {
            let client = try HTTPTestClient(port: fixture.port)
            let head = try client.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: Array(json.utf8))
            return (head, head.headers["transfer-encoding"] == "chunked" ? try client.restOfBody() : head.body)
        }
        let (pcmHead, pcm) = try speech("{\"input\":\"Hello big world.\",\"voice\":\"alba\",\"response_format\":\"pcm\"}")
        #expect(pcmHead.headers["content-type"] == "audio/pcm" && pcm.count % 3840 == 0 && pcm.count >= 4 * 3840)
        let (wavHead, wav) = try speech("{\"input\":\"Hello big world.\",\"voice\":\"alba\",\"response_format\":\"wav\"}")
        #expect(wavHead.headers["content-type"] == "audio/wav" && (wav.count - 44) % 3840 == 0 && wav.count > 44)
        let (opusHead, opus) = try speech("{\"input\":\"Hello big world.\",\"voice\":\"alba\",\"response_format\":\"opus\"}")
        #expect(opusHead.headers["content-type"] == "audio/opus" && Array(opus.prefix(4)) == Array("OggS".utf8))

        let (sseHead, sse) = try speech("{\"input\":\"Hello big world.\",\"voice\":\"alba\",\"response_format\":\"pcm\",\"stream_format\":\"sse\"}")
        #expect(sseHead.headers["content-type"] == "text/event-stream")
        let events = String(decoding: sse, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        let decoded = events.compactMap { jsonObject(Array($0.dropFirst("data: ".count).utf8)) }
        #expect(decoded.count == events.count && decoded.count >= 2)
        #expect(decoded.dropLast().allSatisfy { $0["type"] as? String == "speech.audio.delta" })
        #expect(decoded.last?["type"] as? String == "speech.audio.done")
        let audio = decoded.dropLast().compactMap { ($0["audio"] as? String).flatMap { Data(base64Encoded: $0) } }
        let total = audio.reduce(0) { $0 + $1.count }
        #expect(audio.count == decoded.count - 1 && total > 0 && total % 3840 == 0)

        for (json, param) in [
            ("{\"input\":\"Hi.\",\"voice\":\"alba\",\"response_format\":\"aac\"}", "response_format"),
            ("{\"input\":\"Hi.\",\"voice\":\"alba\",\"stream_format\":\"sse\"}", "stream_format"),  // sse with mp3
            ("{\"input\":\"Hi.\",\"voice\":\"alba\",\"speed\":4.5}", "speed"),
            ("{\"input\":\"Hi.\",\"voice\":\"alba\",\"speed\":\"2\"}", "speed"),
            ("{\"input\":\"Hi.\",\"voice\":\"nobody\"}", "voice"),
            ("{\"input\":\"\",\"voice\":\"alba\"}", "input"),
        ] {
            let (head, body) = try speech(json)
            let error = jsonObject(body)?["error"] as? [String: Any]
            #expect(head.status == 400, "\(json)")
            #expect(error?["param"] as? String == param, "\(json)")
            #expect(error?["type"] as? String == "invalid_request_error")
        }
    }

    @Test func listsInTheShapesClientsParse() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let models = jsonObject(try httpRequest(port: fixture.port, path: "/v1/models").body)
        #expect(models?["object"] as? String == "list" && (models?["data"] as? [[String: Any]])?.isEmpty == false)
        let audioModels = jsonObject(try httpRequest(port: fixture.port, path: "/v1/audio/models").body)
        #expect((audioModels?["models"] as? [[String: Any]])?.first?["id"] as? String == "pocket-tts")
        let voices = jsonObject(try httpRequest(port: fixture.port, path: "/v1/audio/voices").body)
        #expect((voices?["voices"] as? [[String: Any]])?.map { $0["id"] as? String } == ["alba"])
        let served = jsonObject(try httpRequest(port: fixture.port, path: "/voices").body)
        #expect((served?["voices"] as? [[String: Any]])?.first?["source"] as? String == "predefined")
    }

    @Test func leavingMidStreamCancelsTheTurn() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        do {
            let client = try HTTPTestClient(port: fixture.port)
            let (body, type) = multipartBody(fields: ["text": Self.longText])
            _ = try client.send(path: "/tts", headers: ["Content-Type": type], body: body)
            _ = try client.nextChunk()
            #expect(fixture.adapter.openTurnCount == 1)
        }  // the socket closes here
        #expect(eventually(5) { fixture.adapter.openTurnCount == 0 })
    }

    @Test func uploadedVoicesSpeakAndCanBeDeleted() throws {
        let (model, voice) = try TinyModel.load()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 2))
        engine.start()
        defer { engine.stop() }
        let adapter = EngineSpeechAdapter(engine: engine, library: try VoiceLibrary(model: model), fixedVoices: ["alba": voice])
        let service = try startService(engine: adapter) { $0.maxVoiceUploadSeconds = 5 }
        defer { service.stop() }
        let port = service.port ?? 0

        let wav = try wavBytes(seconds: 1)
        let (body, type) = multipartBody(fields: [:], files: ["audio": ("../../etc/passwd", wav)])
        let created = try HTTPTestClient(port: port).send(path: "/v1/voices", headers: ["Content-Type": type], body: body)
        #expect(created.status == 201)
        let id = try #require(jsonObject(created.body)?["voice_id"] as? String)
        #expect(id == UploadedVoices.id(of: wav))
        try expectUploadedVoiceServes(id, port: port)

        let tooLong = multipartBody(fields: [:], files: ["audio": ("long.wav", try wavBytes(seconds: 6))])
        let refused = try HTTPTestClient(port: port).send(path: "/v1/voices", headers: ["Content-Type": tooLong.contentType],
                                                          body: tooLong.body)
        #expect(refused.status == 400)
        #expect(try HTTPTestClient(port: port).send(method: "DELETE", path: "/v1/voices/\(id)").status == 200)
        #expect(try HTTPTestClient(port: port).send(method: "DELETE", path: "/v1/voices/\(id)").status == 404)
        #expect(!adapter.voices.contains(id))
    }

    /// A WAV file of a 220 Hz tone.
    private func wavBytes(seconds: Double) throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = (0..<Int(seconds * 24000)).map { Float(sin(Double($0) * 2 * .pi * 220 / 24000) * 0.3) }
        try AudioFile.writeWAV(Audio(samples: samples, sampleRate: 24000), to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// An uploaded voice is listed by `GET /voices` as an upload and speaks through the OpenAI
/// endpoint (at least 4 frames of PCM).
func expectUploadedVoiceServes(_ id: String, port: Int) throws {
    let voices = jsonObject(try httpRequest(port: port, path: "/voices").body)?["voices"] as? [[String: Any]]
    #expect(voices?.contains { $0["id"] as? String == id && $0["source"] as? String == "upload" } == true)
    let client = try HTTPTestClient(port: port)
    let speech = "{\"input\":\"Hello big world.\",\"voice\":\(jsonQuoted(id)),\"response_format\":\"pcm\"}"
    #expect(try client.send(path: "/v1/audio/speech", body: Array(speech.utf8)).status == 200)
    #expect(try client.restOfBody().count >= 4 * 3840)
}
