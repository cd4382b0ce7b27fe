import Foundation
import Testing
import TTSEngine
@testable import TTSServer

/// Only voices that loaded are offered: a config naming a broken voice file gets
/// `unknown_voice`, and nothing retries the file on the loop thread.
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
}
