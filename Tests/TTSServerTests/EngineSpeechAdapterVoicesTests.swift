import Foundation
import Testing
import TTSEngine
@testable import TTSServer

/// Only voices whose file checks out are offered: a config naming a broken voice file gets
/// `unknown_voice`, and nothing reads a file on the loop thread. A directory voice is read on
/// its first turn, off the loop, and the turn's text waits for it.
@Suite struct EngineSpeechAdapterVoicesTests {
    /// A voices directory with one good voice state and two broken files.
    private func voicesDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("voices-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let good = TinyModel.fixtures.appendingPathComponent("reference/voice_state.safetensors")
        try FileManager.default.copyItem(at: good, to: directory.appendingPathComponent("good.safetensors"))
        try Data("not a safetensors file".utf8).write(to: directory.appendingPathComponent("broken.safetensors"))
        try Data(repeating: 7, count: 100).write(to: directory.appendingPathComponent("noise.wav"))
        return directory
    }

    @Test func brokenVoicesAreNotOffered() throws {
        let (model, voice) = try TinyModel.load()
        let directory = try voicesDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let library = try VoiceLibrary(model: model, configuration: .init(directory: directory.path))
        #expect(Set(library.names) == ["good", "broken", "noise"])
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 1))
        let adapter = EngineSpeechAdapter(engine: engine, library: library, fixedVoices: ["alba": voice])
        #expect(adapter.voices == ["alba", "good"])
        #expect(adapter.libraryVoices == ["good"])
        // Given by the caller (serve loads the voices once, at start):
        let registry = VoiceRegistry(library: library)
        #expect(registry.reload().loaded == ["good"])
        let given = EngineSpeechAdapter(engine: engine, voices: registry)
        #expect(given.voices == ["good"])
    }

    @Test func aConfigNamingABrokenVoiceGetsUnknownVoice() throws {
        let (model, voice) = try TinyModel.load()
        let directory = try voicesDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let library = try VoiceLibrary(model: model, configuration: .init(directory: directory.path))
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 1))
        engine.start()
        defer { engine.stop() }
        let adapter = EngineSpeechAdapter(engine: engine, library: library, fixedVoices: ["alba": voice])
        let service = try startService(engine: adapter)
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        for name in ["broken", "noise"] {
            try client.config("\"voice\":\"\(name)\"")
            #expect(try client.next() == .error(code: "unknown_voice", message: "unknown voice \"\(name)\""))
        }
        try client.config("\"voice\":\"good\",\"temperature\":0")
        _ = try client.expectAccepted()
        try client.text("Hi.")
        try client.flush()
        #expect(try !client.collectTurn().audio.isEmpty)
        #expect(metricValue(service.metrics.render(), "pocket_tts_errors_total{code=\"internal_error\"}") == 0)
    }

    /// The first turn in a directory voice reads it off the loop (text sent at once waits for
    /// the voice, in order); the second finds it in memory. Same voice, same audio.
    @Test func aVoiceNotInMemoryIsReadForItsFirstTurn() throws {
        let (model, _) = try TinyModel.load()
        let directory = try voicesDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let registry = VoiceRegistry(library: try VoiceLibrary(model: model, configuration: .init(directory: directory.path, maxCachedVoices: 0)))
        registry.reload()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 2))
        engine.start()
        defer { engine.stop() }
        let service = try startService(engine: EngineSpeechAdapter(engine: engine, voices: registry))
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        var audio: [[[UInt8]]] = []
        for _ in 0..<2 {
            try client.config("\"voice\":\"good\",\"temperature\":0")
            try client.text("Hello there. ")
            try client.text("How are you?")
            try client.flush()
            _ = try client.expectAccepted()
            audio.append(try client.collectTurn().audio)
        }
        #expect(!audio[0].isEmpty && audio[0] == audio[1])
        let statistics = registry.cacheStatistics
        #expect(statistics.misses == 1 && statistics.hits == 1 && statistics.count == 1)
    }

    /// A listed voice whose file is gone by its first turn: that turn fails (`internal_error`),
    /// the voice is withdrawn (`unknown_voice` after), and the session takes other turns.
    @Test func aVoiceThatCannotBeReadFailsItsTurnAndIsWithdrawn() throws {
        let (model, voice) = try TinyModel.load()
        let directory = try voicesDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let registry = VoiceRegistry(library: try VoiceLibrary(model: model, configuration: .init(directory: directory.path, maxCachedVoices: 0)),
                                     fixed: ["alba": voice])
        registry.reload()
        try FileManager.default.removeItem(at: directory.appendingPathComponent("good.safetensors"))
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 1))
        engine.start()
        defer { engine.stop() }
        let service = try startService(engine: EngineSpeechAdapter(engine: engine, voices: registry))
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config("\"voice\":\"good\"")
        _ = try client.expectAccepted()  // the voice is read after the config is accepted, off the loop
        guard case .error("internal_error", let text) = try client.next() else { Issue.record("no internal_error"); return }
        #expect(text.contains("voice good could not be loaded"))
        #expect(!text.contains(directory.path))  // no server path to the client
        try client.config("\"voice\":\"good\"")
        #expect(try client.next() == .error(code: "unknown_voice", message: "unknown voice \"good\""))
        try client.config("\"voice\":\"alba\",\"temperature\":0")
        _ = try client.expectAccepted()
        try client.text("Hi.")
        try client.flush()
        #expect(try !client.collectTurn().audio.isEmpty)
        #expect(engine.activeStreamCount == 0 || eventually { engine.activeStreamCount == 0 })
    }
}

