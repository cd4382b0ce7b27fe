import Foundation
import PocketTTS
import Testing
@testable import TTSServer

/// The whole service on 127.0.0.1: real WebSocket clients, the real libwebsockets server, the
/// real engine (producer and consumer threads) over the tiny fixture model. Audio is checked
/// against `TTSModel.generate` of the same sentences at temperature 0.
@Suite struct TTSServiceEndToEndTests {
    static let deterministic = "\"temperature\":0"

    @Test func wordsOneByOneAreSpokenPerSentenceThenFinal() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let first = try TinyModel.frames("Hello big world.")
        let second = try TinyModel.frames("The river was calm today")
        #expect((9...11).contains(first.count) && (9...11).contains(second.count))

        let client = try fixture.connect()
        // Sentences alone decide here: the buffer delay (README, "Live text") is out of the way.
        try client.config("\"format\":\"pcm_f32\",\"max_buffer_delay_ms\":10000,\(Self.deterministic)")
        let id = try client.expectAccepted()
        for word in ["Hello ", "big ", "world. ", "The ", "river "] { try client.text(word) }
        // "Hello big world." is complete: all its frames come before the rest of the text is sent.
        for (k, want) in first.enumerated() {
            guard case .audio(let bytes) = try client.next() else { Issue.record("frame \(k): not binary audio"); return }
            #expect(bytes.count == 1920 * 4)
            #expect(relativeError(float32Samples(bytes), want) < 1e-4, "sentence 1 frame \(k)")
        }
        for word in ["was ", "calm ", "today"] { try client.text(word) }
        try client.flush()
        let turn = try client.collectTurn()
        #expect(turn.requestID == id)
        #expect(turn.audio.count == second.count)
        for (k, (bytes, want)) in zip(turn.audio, second).enumerated() {
            #expect(bytes.count == 1920 * 4)
            #expect(relativeError(float32Samples(bytes), want) < 1e-4, "sentence 2 frame \(k)")
        }

        let metrics = try httpRequest(port: fixture.port, path: "/metrics", headers: ["X-API-Key": "secret"]).text  // metrics_access: api_key
        #expect(metricValue(metrics, "pocket_tts_turns_total{outcome=\"completed\"}") == 1)
        #expect(metricValue(metrics, "pocket_tts_audio_frames_total") == Double(first.count + second.count))
        #expect(metricValue(metrics, "pocket_tts_audio_messages_sent_total") == Double(first.count + second.count))
        #expect(metricValue(metrics, "pocket_tts_time_to_first_audio_seconds_count") == 1)
        #expect(metricValue(metrics, "pocket_tts_real_time_factor_count") == 1)
        #expect(metricValue(metrics, "pocket_tts_sessions") == 1)
        #expect(try httpRequest(port: fixture.port, path: "/health").status == 200)
        #expect(try httpRequest(port: fixture.port, path: "/ready").status == 200)
        #expect(try TestWebSocket.connect(port: fixture.port, path: "/tts/ws").response.status == 401)
    }

    @Test func pcmFramesHaveExactSizesInBinaryAndJSON() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let count = try TinyModel.frames("Good morning.").count
        let client = try fixture.connect()

        try client.config("\"format\":\"pcm\",\(Self.deterministic)")
        _ = try client.expectAccepted()
        try client.text("Good morning.")
        try client.flush()
        let binary = try client.collectTurn().audio
        #expect(binary.count == count && binary.allSatisfy { $0.count == 1920 * 2 })

        try client.config("\"format\":\"pcm_f32\",\"binary\":false,\(Self.deterministic)")
        _ = try client.expectAccepted()
        try client.text("Good morning.")
        try client.flush()
        var frames = 0
        while true {
            let message = try client.next()
            if case .event("final", _) = message { break }
            guard case .jsonAudio(let bytes, 24000, "pcm_f32") = message else { Issue.record("unexpected \(message)"); return }
            #expect(bytes.count == 1920 * 4)
            frames += 1
        }
        #expect(frames == count)
    }

    @Test func opusPacketsAndOggPagesDecode() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let count = try TinyModel.frames("Good morning.").count
        let client = try fixture.connect()

        try client.config("\"format\":\"opus\",\(Self.deterministic)")
        _ = try client.expectAccepted()
        try client.text("Good morning.")
        try client.flush()
        let packets = try client.collectTurn().audio
        let lookahead = try OpusPacketEncoder(sampleRate: 24000).lookahead
        #expect(packets.count == (count * 1920 + lookahead + 1919) / 1920)  // the tail flushed at the end
        let decoder = try OpusDecoder(sampleRate: 24000)
        for packet in packets { #expect(try decoder.decode(packet).count == 1920) }

        try client.config("\"format\":\"ogg\",\(Self.deterministic)")
        _ = try client.expectAccepted()
        try client.text("Good morning.")
        try client.flush()
        let stream = try client.collectTurn().audio.flatMap { $0 }
        #expect(Array(stream.prefix(4)) == Array("OggS".utf8))
        let decoded = try OggOpusFileReader.decode(stream)
        #expect(abs(decoded.samples.count - count * 3840) <= 4, "\(decoded.samples.count) samples at 48 kHz for \(count) frames")
    }

    /// The remaining formats, and other sample rates (resampled with libsoxr): every message
    /// carries one frame's worth of samples (80 ms at the requested rate, give or take what the
    /// resampler holds back), and the turn's total is the frames' duration.
    @Test(arguments: [("mulaw", 8000, 1), ("alaw", 8000, 1), ("pcm", 16000, 2), ("pcm_f32", 48000, 4), ("wav", 24000, 2)])
    func everyFormatAndRateGetsItsFrames(format: String, rate: Int, bytesPerSample: Int) throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let count = try TinyModel.frames("Good morning.").count
        let client = try fixture.connect()
        try client.config("\"format\":\"\(format)\",\"sample_rate\":\(rate),\(Self.deterministic)")
        _ = try client.expectAccepted()
        try client.text("Good morning.")
        try client.flush()
        var messages = try client.collectTurn().audio
        let perFrame = rate * 80 / 1000
        if format == "wav" {
            let first = try #require(messages.first)
            #expect(Array(first.prefix(4)) == Array("RIFF".utf8))
            #expect(first.count == 44 + perFrame * bytesPerSample)
            messages[0].removeFirst(44)
        }
        #expect(messages.count >= count && messages.count <= count + 1, "\(messages.count) messages for \(count) frames")
        let samples = messages.reduce(0) { $0 + $1.count } / bytesPerSample
        #expect(abs(samples - count * perFrame) <= perFrame / 4, "\(samples) samples for \(count) frames at \(rate) Hz")
    }

    @Test func cancelMidTurnSendsNoFinalAndTheSocketTakesANewConfig() throws {
        let fixture = try EngineServiceFixture { $0.maxQueuedAudio = 100_000 }
        defer { fixture.stop() }
        // Small receive buffer: the audio waits in the server, where the cancel drops it.
        let client = try fixture.connect(receiveBufferBytes: 8192)
        try client.config("\"format\":\"pcm_f32\",\"eos_threshold\":1e9")  // no EOS: the length limit ends it
        _ = try client.expectAccepted()
        let long = "The quick brown fox jumps over the lazy dog near the quiet river bank today."
        try client.text(long)
        try client.flush()
        guard case .audio = try client.next() else { Issue.record("no audio"); return }
        try client.cancel()
        try client.send("{\"type\":\"ping\"}")
        var late = 0
        while true {
            let message = try client.next()
            if message == .pong { break }
            guard case .audio = message else { Issue.record("unexpected \(message) after cancel"); return }
            late += 1
        }
        // Without EOS the turn would run to the length limit of its chunks.
        let full = try TinyModel.load().model.chunks(for: long).map(\.maxGenerationFrames).reduce(0, +)
        #expect(late + 1 < full / 2, "\(late) frames after the cancel, of \(full)")
        #expect(fixture.adapter.openTurnCount == 0)
        #expect(eventually { fixture.engine.activeStreamCount == 0 })
        #expect(fixture.service.metrics.turnCount(.cancelled) == 1)

        try client.config("\"format\":\"pcm_f32\",\(Self.deterministic)")
        _ = try client.expectAccepted()
        try client.text("Good morning.")
        try client.flush()
        #expect(try client.collectTurn().audio.count == (try TinyModel.frames("Good morning.")).count)
    }

    @Test func twoConcurrentSessionsEachGetTheirOwnAudio() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let texts = ["Hello world.", "It was a sunny morning in the city."]
        let clients = try texts.map { _ in try fixture.connect() }
        for (client, text) in zip(clients, texts) {
            try client.config("\"format\":\"pcm_f32\",\(Self.deterministic)")
            _ = try client.expectAccepted()
            try client.text(text)
            try client.flush()
        }
        for (client, text) in zip(clients, texts) {
            let want = try TinyModel.frames(text)
            let got = try client.collectTurn().audio
            #expect(got.count == want.count, "\(text)")
            #expect(relativeError(got.flatMap(float32Samples), want.flatMap { $0 }) < 1e-4, "\(text)")
        }
    }

    @Test func protocolErrorsAndCapacity() throws {
        let fixture = try EngineServiceFixture(maxStreams: 1) { $0.maxSessions = 3 }
        defer { fixture.stop() }
        let busy = try fixture.connect()
        try busy.config()
        _ = try busy.expectAccepted()  // holds the engine's only stream

        let other = try fixture.connect()
        try other.config("\"voice\":\"nobody\"")
        guard case .error("unknown_voice", _) = try other.next() else { Issue.record("no unknown_voice"); return }
        try other.config("\"sample_rate\":11025,\"format\":\"opus\"")
        guard case .error("invalid_config", _) = try other.next() else { Issue.record("no invalid_config"); return }
        try other.config()
        guard case .error("at_capacity", _) = try other.next() else { Issue.record("no engine at_capacity"); return }

        let broken = try fixture.connect()
        try broken.send("{not json")
        guard case .error("parse_error", _) = try broken.next() else { Issue.record("no parse_error"); return }
        #expect(try broken.next() == .close(code: 1008, reason: "invalid JSON"))

        try broken.webSocket.sendClose()
        #expect(eventually { fixture.service.metrics.value("pocket_tts_sessions") == 2 })
        let third = try fixture.connect()
        let refused = try fixture.connect()
        guard case .error("at_capacity", _) = try refused.next() else { Issue.record("no session at_capacity"); return }
        #expect(try refused.next() == .close(code: 1013, reason: "at capacity: 3 sessions open"))
        try third.send("{\"type\":\"ping\"}")
        #expect(try third.next() == .pong)

        try busy.text("Still fine.")  // the errors touched no other session
        try busy.flush()
        #expect(try busy.collectTurn().audio.count > 0)
    }
}
