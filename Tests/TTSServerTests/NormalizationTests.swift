import Foundation
import PocketTTS
import TextNormalization
import Synchronization
import Testing
import TTSEngine
@testable import TTSServer

/// `normalize` and `pronunciations`: the turn config, the server config, the session, and the
/// whole service (fake engine, then the real engine over the tiny model).
@Suite struct NormalizationTests {
    func parse(_ json: String, settings: ProtocolSettings = ProtocolSettings()) throws(ProtocolError) -> TurnConfig {
        guard case .object(let data) = try JSONValue.parse(json) else { throw .invalidJSON(detail: "not an object") }
        return try TurnConfig.parse(data, settings: settings)
    }

    @Test func normalizeIsOnByDefaultAndFollowsTheConfigAndTheServer() throws {
        #expect(try parse("{}").normalize)
        #expect(try parse("{\"normalize\":true}").normalize)
        #expect(try !parse("{\"normalize\":false}").normalize)
        #expect(try !parse("{}", settings: ProtocolSettings(normalize: false)).normalize)
        #expect(try parse("{\"normalize\":true}", settings: ProtocolSettings(normalize: false)).normalize)
        #expect(throws: ProtocolError.invalidConfig(key: "normalize", reason: "must be true or false (got a string)")) {
            try parse("{\"normalize\":\"yes\"}")
        }
        #expect(try parse("{}").textNormalizer.normalize("$5").text == "five dollars")
        #expect(try parse("{\"normalize\":false}").textNormalizer.normalize("$5").text == "$5")
    }

    @Test func turnPronunciationsAreWordsOverTheServers() throws {
        let server = try Pronunciations(["SQL": "sequel", "/\\bv(\\d)\\b/": "version $1"])
        let settings = ProtocolSettings(pronunciations: server)
        let config = try parse("{\"pronunciations\":{\"SQL\":\"S Q L\",\"nginx\":\"engine x\"}}", settings: settings)
        #expect(config.textNormalizer.normalize("SQL on nginx v2").text == "S Q L on engine x version two")
        // Pronunciations apply even with the rules off.
        let raw = try parse("{\"normalize\":false,\"pronunciations\":{\"nginx\":\"engine x\"}}", settings: settings)
        #expect(raw.textNormalizer.normalize("SQL on nginx v2").text == "sequel on engine x version 2")
        #expect(try parse("{\"pronunciations\":null}", settings: settings).pronunciations == server)
    }

    @Test func badTurnPronunciationsAreConfigErrors() {
        for json in [
            "{\"pronunciations\":[\"SQL\"]}", "{\"pronunciations\":{\"SQL\":1}}", "{\"pronunciations\":{\"/a+/\":\"a\"}}",
            "{\"pronunciations\":{\"\":\"a\"}}",
            "{\"pronunciations\":{\"a\":\"\(String(repeating: "x", count: TurnConfig.maxPronunciationCharacters + 1))\"}}",
        ] {
            #expect(throws: ProtocolError.self, "\(json)") { try parse(json) }
            #expect((try? parse(json)) == nil)
            do { _ = try parse(json) } catch { #expect(error.key == "pronunciations", "\(json)") }
        }
        let many = (0...TurnConfig.maxTurnPronunciations).map { "\"w\($0)\":\"x\"" }.joined(separator: ",")
        #expect(throws: ProtocolError.self) { try parse("{\"pronunciations\":{\(many)}}") }
    }

    @Test func serverConfigKeys() throws {
        var config = ServerConfig()
        #expect(config.normalize && config.pronunciations.isEmpty)
        try config.apply(yaml: "normalize: false\npronunciations:\n  SQL: sequel\n  \"/\\\\bv(\\\\d)\\\\b/\": version $1\n", source: "test.yaml")
        #expect(!config.normalize)
        #expect(config.pronunciations == (try Pronunciations(["SQL": "sequel", "/\\bv(\\d)\\b/": "version $1"])))
        #expect(config.protocolSettings.pronunciations == config.pronunciations && !config.protocolSettings.normalize)
        try config.apply(environment: ["POCKET_TTS_NORMALIZE": "true", "POCKET_TTS_PRONUNCIATIONS": "{\"nginx\": \"engine x\"}"])
        #expect(config.normalize && config.pronunciations.entries.map(\.written) == ["nginx"])
        #expect(throws: ServerConfigError.self) { try config.apply(yaml: "pronunciations:\n  \"/(/\": x\n", source: "t") }
        #expect(throws: ServerConfigError.self) { try config.apply(yaml: "pronunciations: [a, b]\n", source: "t") }
        #expect(throws: ServerConfigError.self) { try config.apply(flags: ["normalize": "maybe"]) }
        let shipped = try ServerConfig.load(filePath: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Configs/server.yaml").path, environment: [:])
        #expect(shipped.normalize && shipped.pronunciations.isEmpty)
    }

    @Test func theSessionNormalizesWhatItHandsTheEngine() throws {
        let engine = FakeSpeechEngine()
        let service = try startService(engine: engine) { $0.pronunciations = try! Pronunciations(["Pocket": "Pokit"]) }
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config("\"normalize\":true,\"pronunciations\":{\"TTS\":\"text to speech\"}")
        _ = try client.expectAccepted()
        for word in ["Dr. ", "Smith ", "paid ", "$4.50 ", "for ", "Pocket ", "TTS. ", "It ", "was ", "2 km."] {
            try client.text(word)
        }
        try client.flush()
        _ = try client.collectTurn()
        try client.config("\"normalize\":false")
        _ = try client.expectAccepted()
        try client.text("Dr. Smith paid $4.50.")
        try client.flush()
        _ = try client.collectTurn()
        #expect(engine.calls.withLock { $0 } == [
            "start 1.1", "speak 1.1 Doctor Smith paid four dollars and fifty cents for Pokit text to speech.",
            "speak 1.1 It was two kilometers.", "finish 1.1",
            "start 1.2", "speak 1.2 Dr. Smith paid $4.50.", "finish 1.2",
        ])
    }

    @Test func normalizeTrueChangesTheTokensTheRealEngineReceives() throws {
        let (model, voice) = try TinyModel.load()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 2))
        engine.start()
        defer { engine.stop() }
        let recorder = RecordingSpeechEngine(EngineSpeechAdapter(engine: engine, fixedVoices: ["alba": voice]))
        let service = try startService(engine: recorder)
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))

        let written = "It costs $4.50 at 3:30pm."
        let spoken = "It costs four dollars and fifty cents at three thirty P M."
        #expect(model.tokenizer.encode(written) != model.tokenizer.encode(spoken))
        for (normalize, text) in [(true, spoken), (false, written)] {
            try client.config("\"format\":\"pcm_f32\",\"temperature\":0,\"normalize\":\(normalize)")
            _ = try client.expectAccepted()
            try client.text(written)
            try client.flush()
            let audio = try client.collectTurn().audio.flatMap(float32Samples)
            let want = try TinyModel.frames(text).flatMap { $0 }
            #expect(audio.count == want.count, "normalize \(normalize)")
            #expect(relativeError(audio, want) < 1e-4, "normalize \(normalize)")
        }
        let received = recorder.chunks.withLock { $0 }
        #expect(received == [spoken, written])
        #expect(received.map(model.tokenizer.encode) == [model.tokenizer.encode(spoken), model.tokenizer.encode(written)])
        // The two turns really sounded different.
        let (a, b) = (try TinyModel.frames(spoken).flatMap { $0 }, try TinyModel.frames(written).flatMap { $0 })
        #expect(a.count != b.count || relativeError(a, b) > 1e-3)
    }
}
