import Foundation
import Testing
@testable import TTSServer

/// /metrics counts sessions, turns, errors and time to first audio under the protocol each
/// client speaks (`protocol="native"`, `"kyutai"`, `"deepgram"`, `"http_tts"`, `"openai"`).
@Suite(.serialized) struct ProtocolMetricsTests {
    @Test func aKyutaiAndANativeSessionShowUnderTheirLabels() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let metrics = fixture.service.metrics
        let native = try fixture.connect()
        try native.config("\"format\":\"pcm_f32\"")
        _ = try native.expectAccepted()
        let kyutai = try KyutaiTestClient(port: fixture.port, query: "voice=alba&format=PcmMessagePack")
        #expect(try kyutai.next() == .ready)
        #expect(eventually { metrics.value("pocket_tts_sessions", .native) == 1 && metrics.value("pocket_tts_sessions", .kyutai) == 1 })
        #expect(metrics.value("pocket_tts_sessions", .deepgram) == 0)
        #expect(metrics.value("pocket_tts_sessions_opened_total", .native) == 1)
        #expect(metrics.value("pocket_tts_sessions_opened_total", .kyutai) == 1)

        // One completed turn each, with its first audio timed under its own label.
        try native.text("Hello world.")
        try native.flush()
        #expect(try !native.collectTurn().audio.isEmpty)
        for word in ["Good", "morning."] { try kyutai.text(word) }
        try kyutai.eos()
        #expect(try kyutai.untilClose().code == 1000)
        #expect(eventually { metrics.value("pocket_tts_sessions", .kyutai) == 0 })
        #expect(metrics.value("pocket_tts_sessions", .native) == 1)
        #expect(metrics.turnCount(.completed, .native) == 1)
        #expect(metrics.turnCount(.completed, .kyutai) == 1)
        #expect(metrics.turnCount(.completed, .deepgram) == 0)
        #expect(metrics.value("pocket_tts_time_to_first_audio_seconds_count", .native) == 1)
        #expect(metrics.value("pocket_tts_time_to_first_audio_seconds_count", .kyutai) == 1)

        // An error is counted under the protocol of the client that got it.
        let unknown = try KyutaiTestClient(port: fixture.port, query: "voice=nobody&format=PcmMessagePack")
        guard case .error = try unknown.next() else { Issue.record("no Error for an unknown voice"); return }
        #expect(eventually { metrics.errorCount(.unknownVoice, .kyutai) == 1 })
        #expect(metrics.errorCount(.unknownVoice, .native) == 0)
        #expect(metrics.errorCount(.unknownVoice) == 1)  // the sum over protocols

        try native.webSocket.sendClose()
        #expect(eventually { metrics.value("pocket_tts_sessions") == 0 })
    }

    @Test func httpSpeechCountsUnderHTTPTTSAndOpenAI() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let metrics = fixture.service.metrics
        let json = "{\"input\":\"Hello big world.\",\"voice\":\"alba\",\"response_format\":\"pcm\"}"
        let openAI = try HTTPTestClient(port: fixture.port)
        #expect(try openAI.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: Array(json.utf8)).status == 200)
        _ = try openAI.restOfBody()
        let form = multipartBody(fields: ["text": "Hello big world.", "voice_url": "alba"])
        let reference = try HTTPTestClient(port: fixture.port)
        #expect(try reference.send(path: "/tts", headers: ["Content-Type": form.contentType], body: form.body).status == 200)
        _ = try reference.restOfBody()
        #expect(eventually { metrics.turnCount(.completed, .openai) == 1 && metrics.turnCount(.completed, .httpTTS) == 1 })
        #expect(metrics.turnCount(.completed, .native) == 0)
        #expect(metrics.value("pocket_tts_sessions_opened_total", .openai) == 1)
        #expect(metrics.value("pocket_tts_sessions_opened_total", .httpTTS) == 1)
        #expect(metrics.value("pocket_tts_time_to_first_audio_seconds_count", .openai) == 1)
        #expect(eventually { metrics.value("pocket_tts_sessions") == 0 })
    }
}
