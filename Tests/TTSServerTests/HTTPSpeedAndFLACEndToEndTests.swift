import AudioIO
import Foundation
import Testing
@testable import TTSServer

/// OpenAI's `speed` and `response_format: flac`, and `POST /tts`'s `speed`, through the real
/// server over the tiny model.
@Suite struct HTTPSpeedAndFLACEndToEndTests {
    func speech(_ port: Int, _ json: String) throws -> (TestHTTPResponse, [UInt8]) {
        let client = try HTTPTestClient(port: port)
        let head = try client.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: Array(json.utf8))
        return (head, head.headers["transfer-encoding"] == "chunked" ? try client.restOfBody() : head.body)
    }

    @Test func openAIFLACIsOneStreamThatDecodes() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let client = try HTTPTestClient(port: fixture.port)
        let json = "{\"model\":\"tts-1\",\"input\":\(jsonQuoted(HTTPAPIEndToEndTests.longText)),\"voice\":\"alba\",\"response_format\":\"flac\"}"
        let head = try client.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: Array(json.utf8))
        #expect(head.status == 200 && head.headers["content-type"] == "audio/flac")
        let first = try #require(try client.nextChunk())
        #expect(fixture.adapter.openTurnCount == 1)  // the first bytes while the engine still generates
        let flac = first + (try client.restOfBody())
        #expect(Array(flac.prefix(4)) == Array("fLaC".utf8) && flac[4...].firstRange(of: Array("fLaC".utf8)) == nil)
        let audio = try decodeFLAC(flac)
        #expect(audio.sampleRate == 24000)
        #expect(audio.samples.count >= 24 * 1920 && audio.samples.count % 1920 == 0)  // whole 80 ms frames
    }

    @Test func openAISpeedStretchesEveryFormat() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let input = "\"input\":\"Hello big world. The river was calm today.\",\"voice\":\"alba\""
        for speed in [0.25, 1.5, 2.0, 4.0] {
            // The engine makes whole frames of 1920 samples; speed s gives round(k * 1920 / s) of them.
            let (head, pcm) = try speech(fixture.port, "{\(input),\"response_format\":\"pcm\",\"speed\":\(speed)}")
            #expect(head.status == 200)
            let samples = Double(pcm.count / 2)
            let frames = samples * speed / 1920
            #expect(pcm.count % 2 == 0 && frames >= 4 && abs(frames - frames.rounded()) * 1920 / speed < 1, "speed \(speed)")
        }
        let (flacHead, flac) = try speech(fixture.port, "{\(input),\"response_format\":\"flac\",\"speed\":2}")
        #expect(flacHead.status == 200)
        #expect(try decodeFLAC(flac).samples.count % 960 == 0)
        let (wavHead, wav) = try speech(fixture.port, "{\(input),\"response_format\":\"wav\",\"speed\":0.5}")
        #expect(wavHead.status == 200 && Array(wav.prefix(4)) == Array("RIFF".utf8) && (wav.count - 44) % 7680 == 0)
        for body in ["{\(input),\"speed\":4.01}", "{\(input),\"speed\":0.2}", "{\(input),\"speed\":\"fast\"}"] {
            let (head, error) = try speech(fixture.port, body)
            #expect(head.status == 400 && (jsonObject(error)?["error"] as? [String: Any])?["param"] as? String == "speed", "\(body)")
        }
    }

    @Test func referenceTTSTakesASpeedField() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        let client = try HTTPTestClient(port: fixture.port)
        let ok = try client.send(path: "/tts", headers: form, body: Array("text=Hello+big+world.&speed=2".utf8))
        #expect(ok.status == 200)
        let samples = (try client.restOfBody().count - 44) / 2
        #expect(samples > 0 && samples % 960 == 0)
        let refused = try HTTPTestClient(port: fixture.port).send(path: "/tts", headers: form, body: Array("text=Hi+there.&speed=9".utf8))
        #expect(refused.status == 400 && (jsonObject(refused.body)?["detail"] as? String)?.contains("speed") == true)
    }
}
