import AudioIO
import Foundation
import PocketTTS
import Testing
import TTSEngine
@testable import TTSServer

/// A started service serving several models at once through a `ModelRouter`: each model its own
/// `Engine` over the tiny model (one capacity group), its own voices, and a recorder of the text
/// it is handed (which model spoke).
final class MultiModelFixture {
    struct Model {
        var name: String
        var voices: [String]
    }

    let engines: [Engine]
    let spoken: [String: RecordingSpeechEngine]
    let router: ModelRouter
    let service: TTSService
    var port: Int { service.port ?? 0 }

    init(_ models: [Model], wyoming: Bool = true) throws {
        let (model, voice) = try TinyModel.load()
        let group = CapacityGroup()
        var engines: [Engine] = []
        var spoken: [String: RecordingSpeechEngine] = [:]
        var entries: [ModelRouter.Entry] = []
        for served in models {
            let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 4), capacityGroup: group)
            engine.start()
            let adapter = EngineSpeechAdapter(engine: engine, library: try VoiceLibrary(model: model),
                                              fixedVoices: Dictionary(uniqueKeysWithValues: served.voices.map { ($0, voice) }))
            let recorder = RecordingSpeechEngine(adapter)
            engines.append(engine)
            spoken[served.name] = recorder
            entries.append(ModelRouter.Entry(model: ServedModel(modelName: served.name), engine: recorder, voiceStore: adapter,
                                             defaultVoice: served.voices[0]))
        }
        self.engines = engines
        self.spoken = spoken
        router = ModelRouter(entries: entries)
        do {
            service = try startService(engine: router) { if wyoming { $0.wyomingPort = freeTCPPort() } }
        } catch {
            engines.forEach { $0.stop() }
            throw error
        }
    }

    func stop() {
        service.stop()
        engines.forEach { $0.stop() }
    }

    /// The text each model was handed.
    func chunks(_ model: String) -> [String] { spoken[model]?.chunks.withLock { $0 } ?? [] }
}

/// Several models in one service, end to end (issue 23): each protocol's own field picks the
/// model, the audio comes from that model's engine, and the listings show every model.
@Suite(.serialized) struct MultiModelEndToEndTests {
    static let three: [MultiModelFixture.Model] = [
        .init(name: "english", voices: ["alba", "marius"]), .init(name: "french", voices: ["estelle"]),
        .init(name: "english_7m_2026-10", voices: ["alba", "cosette"]),
    ]

    @Test func frenchNativeOpenAI7mAndWyomingGermanAtOnce() throws {
        let fixture = try MultiModelFixture(Self.three)
        defer { fixture.stop() }
        // A native session in French.
        let native = try TTSTestClient.connect(port: fixture.port)
        try native.config("\"language\":\"fr\",\"temperature\":0")
        _ = try native.expectAccepted()
        try native.text("Bonjour tout le monde.")
        try native.flush()
        let (audio, _) = try native.collectTurn()
        #expect(!audio.isEmpty)
        #expect(fixture.chunks("french").joined().contains("Bonjour"))
        // An OpenAI request for english_7m_2026-10 (OpenAI's voice name: that model's default voice).
        let body = #"{"model":"english_7m_2026-10","input":"Hello from the small model.","voice":"alloy","response_format":"pcm"}"#
        let client = try HTTPTestClient(port: fixture.port)
        let head = try client.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: Array(body.utf8))
        #expect(head.status == 200)
        let pcm = head.headers["transfer-encoding"] == "chunked" ? try client.restOfBody() : head.body
        #expect(pcm.count >= 1920 * 2)
        #expect(fixture.chunks("english_7m_2026-10").joined().contains("small model"))
        // Wyoming in German: not served, a clear error naming what is.
        let wyoming = try WyomingTestClient(port: try #require(fixture.service.wyomingPort))
        wyoming.send("synthesize", ["text": .string("Guten Tag."), "voice": .object(["language": .string("de")])])
        let error = try #require(try wyoming.next())
        #expect(error.type == "error" && error.data["code"] == .string("invalid_config"))
        guard case .string(let message)? = error.data["text"] ?? error.data["message"] else {
            Issue.record("no message in \(error.data)")
            return
        }
        #expect(message.contains("english (en), french (fr), english_7m_2026-10 (en)"))
        // Nothing went to a model it was not meant for.
        #expect(fixture.chunks("english").isEmpty)
        #expect(!fixture.chunks("french").joined().contains("small model"))
    }

    @Test func wyomingLanguagePicksTheModelThatSpeaksIt() throws {
        let fixture = try MultiModelFixture([.init(name: "english", voices: ["alba"]), .init(name: "german", voices: ["juergen"])])
        defer { fixture.stop() }
        let wyoming = try WyomingTestClient(port: try #require(fixture.service.wyomingPort))
        wyoming.send("synthesize", ["text": .string("Guten Tag."), "voice": .object(["language": .string("de_DE")])])
        let events = try wyoming.events(until: "audio-stop")
        #expect(events.first?.type == "audio-start" && events.contains { $0.type == "audio-chunk" })
        #expect(fixture.chunks("german").joined().contains("Guten Tag"))
        #expect(fixture.chunks("english").isEmpty)
        // describe: one program per model, each with its own voices and language.
        wyoming.send("describe")
        let info = try #require(try wyoming.next())
        guard case .array(let programs)? = info.data["tts"], programs.count == 2, case .object(let german) = programs[1],
              case .array(let voices)? = german["voices"], case .object(let juergen)? = voices.first else {
            Issue.record("info: \(info.data)")
            return
        }
        #expect(german["name"] == .string("pocket-tts-german") && voices.count == 1)
        #expect(juergen["name"] == .string("juergen") && juergen["languages"] == .array([.string("de")]))
    }

    @Test func aVoiceOfAnotherModelIsAnError() throws {
        let fixture = try MultiModelFixture(Self.three)
        defer { fixture.stop() }
        let native = try TTSTestClient.connect(port: fixture.port)
        try native.config("\"model\":\"french\",\"voice\":\"marius\"")
        guard case .error(let code, let message) = try native.next() else {
            Issue.record("expected an error")
            return
        }
        #expect(code == "invalid_config" && message.contains("french") && message.contains("estelle"))
        // An unknown model lists those served; the session goes on.
        try native.config("\"model\":\"spanish\"")
        guard case .error(let unknown, let list) = try native.next() else {
            Issue.record("expected an error")
            return
        }
        #expect(unknown == "invalid_config" && list.contains("english_7m_2026-10 (en)"))
        // OpenAI: the same rule, in OpenAI's error shape, before any audio.
        let body = #"{"model":"french","input":"Bonjour.","voice":"cosette"}"#
        let response = try HTTPTestClient(port: fixture.port).send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"],
                                                                    body: Array(body.utf8))
        #expect(response.status == 400)
        let error = jsonObject(response.body)?["error"] as? [String: Any]
        #expect(error?["param"] as? String == "voice" && (error?["message"] as? String)?.contains("estelle") == true)
        #expect(fixture.chunks("french").isEmpty)
    }

    @Test func anUploadBelongsToTheModelItsFormNames() throws {
        let fixture = try MultiModelFixture(Self.three, wyoming: false)
        defer { fixture.stop() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = (0..<24000).map { Float(sin(Double($0) * 2 * .pi * 220 / 24000) * 0.3) }
        try AudioFile.writeWAV(Audio(samples: samples, sampleRate: 24000), to: path)
        let wav = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let (body, type) = multipartBody(fields: ["model": "french"], files: ["audio": ("me.wav", wav)])
        let created = try HTTPTestClient(port: fixture.port).send(path: "/v1/voices", headers: ["Content-Type": type], body: body)
        #expect(created.status == 201)
        let id = try #require(jsonObject(created.body)?["voice_id"] as? String)
        let voices = try #require(jsonObject(try httpRequest(port: fixture.port, path: "/v1/audio/voices").body)?["voices"] as? [[String: Any]])
        #expect(voices.filter { $0["id"] as? String == id }.map { $0["model"] as? String } == ["french"])
        // It speaks on French; on the default model it is another model's voice.
        let native = try TTSTestClient.connect(port: fixture.port)
        try native.config("\"model\":\"french\",\"voice\":\(jsonQuoted(id))")
        _ = try native.expectAccepted()
        try native.text("Bonjour.")
        try native.flush()
        #expect(!(try native.collectTurn().audio.isEmpty))
        try native.config("\"voice\":\(jsonQuoted(id))")
        guard case .error("invalid_config", let message) = try native.next() else {
            Issue.record("expected invalid_config")
            return
        }
        #expect(message.contains("model english"))
        // A model not served: 400 naming the models.
        let (other, otherType) = multipartBody(fields: ["model": "german"], files: ["audio": ("me.wav", wav)])
        let refused = try HTTPTestClient(port: fixture.port).send(path: "/v1/voices", headers: ["Content-Type": otherType], body: other)
        #expect(refused.status == 400 && String(decoding: refused.body, as: UTF8.self).contains("french (fr)"))
    }

    @Test func listingsShowEveryModelWithItsLanguageAndVoices() throws {
        let fixture = try MultiModelFixture(Self.three, wyoming: false)
        defer { fixture.stop() }
        let models = try #require(jsonObject(try httpRequest(port: fixture.port, path: "/v1/models").body)?["data"] as? [[String: Any]])
        let ids = models.compactMap { $0["id"] as? String }
        #expect(ids == ["pocket-tts", "tts-1", "english", "french", "english_7m_2026-10"])
        #expect(models[3]["languages"] as? [String] == ["fr"] && models[3]["voices"] as? [String] == ["estelle"])
        #expect(models[2]["default"] as? Bool == true && models[3]["default"] as? Bool == false)
        let audioModels = try #require(jsonObject(try httpRequest(port: fixture.port, path: "/v1/audio/models").body)?["models"] as? [[String: Any]])
        #expect(audioModels.compactMap { $0["id"] as? String }.suffix(3) == ["english", "french", "english_7m_2026-10"])
        let voices = try #require(jsonObject(try httpRequest(port: fixture.port, path: "/v1/audio/voices").body)?["voices"] as? [[String: Any]])
        #expect(voices.count == 5)
        #expect(voices.contains { $0["id"] as? String == "estelle" && $0["model"] as? String == "french" && $0["languages"] as? [String] == ["fr"] })
        let page = try #require(jsonObject(try httpRequest(port: fixture.port, path: "/api/voices").body))
        let pageModels = try #require(page["models"] as? [[String: Any]])
        #expect(pageModels.map { $0["name"] as? String } == ["english", "french", "english_7m_2026-10"])
        #expect(pageModels[2]["default_voice"] as? String == "alba" && pageModels[2]["voices"] as? [String] == ["alba", "cosette"])
        #expect(page["default"] as? String == "alba")
    }
}
