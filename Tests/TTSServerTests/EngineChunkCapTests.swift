import Foundation
import Testing
import TTSEngine
@testable import TTSServer

/// The engine's own chunk cap behind the server's segmenter: a chunk it rejects ends that
/// turn with an error, and the session and the service go on.
@Suite struct EngineChunkCapTests {
    @Test func aChunkAboveTheEngineCapEndsTheTurnWithAnError() throws {
        let (model, voice) = try TinyModel.load()
        // An engine cap below the turns' max_tokens (a misconfiguration the segmenter cannot see).
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 1, maxChunkTokens: 3))
        engine.start()
        defer { engine.stop() }
        let service = try startService(engine: EngineSpeechAdapter(engine: engine, fixedVoices: ["alba": voice]))
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config("\"voice\":\"alba\"")
        _ = try client.expectAccepted()
        try client.text("The quick brown fox jumps over the lazy dog.")
        try client.flush()
        var message = try client.next()
        while case .audio = message { message = try client.next() }
        guard case .error(let code, let text) = message else {
            Issue.record("expected an error, got \(message)")
            return
        }
        #expect(code == "internal_error")
        #expect(text.contains("above the engine's cap of 3"))
        #expect(eventually { engine.activeStreamCount == 0 })  // the stream was closed: its slot is free
        try client.config("\"voice\":\"alba\"")
        _ = try client.expectAccepted()  // the session takes a new turn
    }

    /// `max_tokens` 1: the segmenter cuts single characters, which the prompt makes 2 to 4
    /// tokens; the stream's cap has a floor, so the turn is spoken, not failed (found by the fuzz).
    @Test func theSmallestMaxTokensStillSpeaks() throws {
        let (model, voice) = try TinyModel.load()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 1))
        engine.start()
        defer { engine.stop() }
        let service = try startService(engine: EngineSpeechAdapter(engine: engine, fixedVoices: ["alba": voice]))
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config("\"voice\":\"alba\",\"max_tokens\":1")
        _ = try client.expectAccepted()
        try client.text("Hi there, friend.")
        try client.flush()
        var message = try client.next()
        while case .audio = message { message = try client.next() }
        guard case .event("final", _) = message else {
            Issue.record("expected final, got \(message)")
            return
        }
    }
}
