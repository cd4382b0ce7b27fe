import Foundation
import Testing
import TTSEngine
@testable import TTSServer

/// Demo mode: the predefined voice names are aliases of the demo voice.
@Suite struct DemoVoiceAliasesTests {
    static let predefined = ["alba", "marius", "javert", "jean", "fantine", "cosette", "eponine", "azelma"]

    @Test func namesTheServerLacksStandForTheDemoVoice() {
        let aliases = DemoVoiceAliases.aliases(for: Self.predefined, offered: ["speech_48k", "marius"], demoVoice: "speech_48k")
        #expect(Set(aliases.keys) == Set(Self.predefined).subtracting(["marius"]))
        #expect(Set(aliases.values) == ["speech_48k"])
    }

    @Test func noAliasesWithoutTheDemoVoice() {
        #expect(DemoVoiceAliases.aliases(for: Self.predefined, offered: ["other"], demoVoice: "speech_48k").isEmpty)
    }

    @Test func theAdapterOffersAliasesAndIgnoresDanglingOnes() throws {
        let (model, voice) = try TinyModel.load()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 1))
        let adapter = EngineSpeechAdapter(engine: engine, fixedVoices: ["demo": voice, "marius": voice],
                                          voiceAliases: ["alba": "demo", "marius": "demo", "jean": "missing"])
        #expect(adapter.voices == ["demo", "marius", "alba"])
        #expect(adapter.voiceAliases == ["alba": "demo"])
    }

    @Test func aSessionAskingForAnAliasSpeaksWithTheDemoVoice() throws {
        let (model, voice) = try TinyModel.load()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 1))
        engine.start()
        defer { engine.stop() }
        let aliases = DemoVoiceAliases.aliases(for: Self.predefined, offered: ["demo"], demoVoice: "demo")
        let adapter = EngineSpeechAdapter(engine: engine, fixedVoices: ["demo": voice], voiceAliases: aliases)
        let service = try startService(engine: adapter)
        defer { service.stop() }
        var turns: [[UInt8]] = []
        for name in ["alba", "demo"] {
            let client = try TTSTestClient.connect(port: try #require(service.port))
            try client.config("\"voice\":\"\(name)\",\"temperature\":0")
            _ = try client.expectAccepted()
            try client.text("Hi.")
            try client.flush()
            turns.append(try client.collectTurn().audio.flatMap { $0 })
        }
        #expect(!turns[0].isEmpty)
        #expect(turns[0] == turns[1])  // same voice state, temperature 0
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config("\"voice\":\"nobody\"")
        #expect(try client.next() == .error(code: "unknown_voice", message: "unknown voice \"nobody\""))
    }
}
