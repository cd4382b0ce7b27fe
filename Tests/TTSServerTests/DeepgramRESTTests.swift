import Foundation
import Testing
@testable import TTSServer

/// Deepgram's REST speech API, `POST /v1/speak`, as the Deepgram SDK's `speak.v1.audio.generate`
/// and LiveKit's `deepgram.TTS.synthesize()` send it, through the real server over the tiny model.
@Suite struct DeepgramRESTTests {
    func speak(_ port: Int, _ query: String, text: String = "Hello big world. The river was calm today.",
               headers: [String: String] = [:]) throws -> (TestHTTPResponse, [UInt8]) {
        let client = try HTTPTestClient(port: port)
        let body = Array("{\"text\":\(jsonQuoted(text))}".utf8)
        let head = try client.send(path: "/v1/speak?\(query)", headers: ["Content-Type": "application/json"].merging(headers) { $1 },
                                   body: body)
        return (head, head.headers["transfer-encoding"] == "chunked" ? try client.restOfBody() : head.body)
    }

    @Test func encodingsAndContainers() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        // LiveKit's synthesize(): raw s16le at the asked rate.
        let (raw, pcm) = try speak(fixture.port, "encoding=linear16&container=none&model=aura-2-alba-en&sample_rate=24000&mip_opt_out=false")
        #expect(raw.status == 200 && raw.headers["content-type"] == "audio/l16" && raw.headers["dg-model-name"] == "aura-2-alba-en")
        #expect(pcm.count >= 4 * 3840 && pcm.count % 3840 == 0)  // whole 80 ms frames of 1920 samples
        // linear16's default container is wav: one header, then the same samples.
        let (wavHead, wav) = try speak(fixture.port, "encoding=linear16&model=aura-2-alba-en")
        #expect(wavHead.headers["content-type"] == "audio/wav" && Array(wav.prefix(4)) == Array("RIFF".utf8))
        #expect(wav.count >= 44 + 4 * 3840)
        // Deepgram's default encoding is mp3.
        let (mp3Head, mp3) = try speak(fixture.port, "model=aura-2-alba-en")
        #expect(mp3Head.status == 200 && mp3Head.headers["content-type"] == "audio/mpeg" && mp3.count > 100)
        let (mulawHead, mulaw) = try speak(fixture.port, "encoding=mulaw&model=aura-2-alba-en")
        #expect(mulawHead.headers["content-type"] == "audio/basic" && mulaw.count % 640 == 0 && mulaw.count >= 4 * 640)
        // speed: k frames of 1920 samples become k * 1920 / 1.5 = k * 1280 samples (k itself varies
        // from turn to turn: sampling decides when the model ends).
        let (_, fast) = try speak(fixture.port, "encoding=linear16&container=none&model=aura-2-alba-en&speed=1.5")
        #expect(fast.count >= 4 * 2560 && fast.count % 2560 == 0)
        let metrics = fixture.service.metrics  // counted as Deepgram's, not as `POST /tts`
        #expect(eventually { metrics.turnCount(.completed, .deepgram) == 5 })
        #expect(metrics.turnCount(.completed, .httpTTS) == 0)
    }

    @Test func refusals() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let token = ["Authorization": "Token secret"]
        let (unauthorized, _) = try speak(fixture.port, "encoding=linear16")
        #expect(unauthorized.status == 401 && jsonObject(unauthorized.body)?["err_code"] as? String == "INVALID_AUTH")
        #expect(try speak(fixture.port, "encoding=linear16", headers: ["Authorization": "Token wrong"]).0.status == 401)
        #expect(try speak(fixture.port, "encoding=linear16&container=none", headers: token).0.status == 200)
        for query in ["encoding=opus", "encoding=mulaw&container=wav", "encoding=mp3&container=wav", "speed=9", "sample_rate=1"] {
            let (head, _) = try speak(fixture.port, query, headers: token)
            #expect(head.status == 400 && jsonObject(head.body)?["err_msg"] is String, "\(query)")
        }
        let (empty, _) = try speak(fixture.port, "encoding=linear16", text: " ", headers: token)
        #expect(empty.status == 400 && (jsonObject(empty.body)?["err_msg"] as? String)?.contains("text") == true)
    }
}
