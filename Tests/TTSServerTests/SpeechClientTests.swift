import Foundation
import Testing
@testable import TTSServer

/// `SpeechClient` over `WebSocketClient` (libwebsockets' client API) against the service on
/// the real engine and the tiny model: what `pocket-tts say` does.
@Suite struct SpeechClientTests {
    @Test func parsesWebSocketURLs() throws {
        let plain = try WebSocketURL("ws://127.0.0.1:8000/tts/ws")
        #expect(plain == (try WebSocketURL("WS://127.0.0.1:8000/tts/ws")))
        #expect(!plain.secure && plain.host == "127.0.0.1" && plain.port == 8000 && plain.path == "/tts/ws")
        let secure = try WebSocketURL("wss://tts.example.com?api_key=k")
        #expect(secure.secure && secure.host == "tts.example.com" && secure.port == 443 && secure.path == "/?api_key=k")
        let ipv6 = try WebSocketURL("ws://[::1]:9000/x")
        #expect(ipv6.host == "::1" && ipv6.port == 9000 && ipv6.path == "/x")
        for bad in ["http://host/tts/ws", "ws://", "ws://host:port/", "ws://host:70000/", "ws://[::1/"] {
            #expect(throws: WebSocketClientError.invalidURL(bad)) { try WebSocketURL(bad) }
        }
    }

    @Test func speaksATurnAndMeasuresFirstAudio() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let client = try SpeechClient(url: "ws://127.0.0.1:\(fixture.port)/tts/ws", apiKey: "secret")
        defer { client.close() }
        var payloads: [[UInt8]] = []
        let deterministic = SpeechSettings(voice: "alba", format: .pcmF32, temperature: 0)
        let report = try client.speak("Hello big world.", settings: deterministic) {
            payloads.append($0)
        }
        let want = try TinyModel.frames("Hello big world.")
        #expect(payloads.count == want.count)  // one 80 ms frame per message
        for (k, (bytes, frame)) in zip(payloads, want).enumerated() {
            #expect(relativeError(float32Samples(bytes), frame) < 1e-4, "frame \(k)")
        }
        #expect(report.audioMessages == want.count && report.audioBytes == want.count * 1920 * 4)
        #expect(!report.requestID.isEmpty)
        let first = try #require(report.firstAudioSeconds)
        #expect(first > 0 && first <= report.totalSeconds)

        // The same connection speaks a second turn, in another format.
        var opus = 0
        let second = try client.speak("Good morning.", settings: SpeechSettings(voice: "alba", format: .opus, temperature: 0)) {
            _ in opus += 1
        }
        let opusFrames = try TinyModel.frames("Good morning.").count
        let lookahead = try OpusPacketEncoder(sampleRate: 24000).lookahead
        #expect(opus == (opusFrames * 1920 + lookahead + 1919) / 1920)  // the encoder's tail flushed at the end
        #expect(second.requestID != report.requestID)
    }

    @Test func theQueryKeyWorksAndErrorsAreTyped() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let url = "ws://127.0.0.1:\(fixture.port)/tts/ws"
        let viaQuery = try SpeechClient(url: url + "?api_key=secret")
        let report = try viaQuery.speak("Hi there.", settings: SpeechSettings(format: .pcm)) { _ in }
        #expect(report.audioBytes == report.audioMessages * 1920 * 2 && report.audioMessages > 0)
        do {
            _ = try viaQuery.speak("Hi.", settings: SpeechSettings(voice: "nobody")) { _ in }
            Issue.record("an unknown voice was spoken")
        } catch let error as SpeechClientError {
            guard case .server(let code, _) = error else { Issue.record("\(error)"); return }
            #expect(code == "unknown_voice")
        }
        viaQuery.close()

        do {
            _ = try SpeechClient(url: url, apiKey: "wrong", timeout: 5)
            Issue.record("a wrong key connected")
        } catch SpeechClientError.connection(.connectFailed(let reason)) {
            #expect(!reason.isEmpty)
        }
    }
}
