import Foundation
import Testing
@testable import TTSServer

/// ElevenLabs' WebSocket input streaming and REST speech API through the real server over the
/// tiny model, sent as the `elevenlabs` SDK and the agent frameworks send them.
@Suite(.serialized) struct ElevenLabsProtocolTests {
    struct Reply {
        var audio: [UInt8]
        var isFinal: Bool
        var contextID: String?
        var chars: String?
    }

    func connect(_ port: Int, _ path: String, headers: [String: String] = ["xi-api-key": "secret"]) throws -> TestWebSocket {
        let (response, client) = try TestWebSocket.connect(port: port, path: path, headers: headers, timeoutSeconds: 10)
        guard response.status == 101, let client else { throw TestClientError.malformed("status \(response.status) \(response.text)") }
        return client
    }

    /// Replies up to and including the next isFinal, or up to a close (returned as its code).
    func replies(_ client: TestWebSocket) throws -> (replies: [Reply], close: UInt16?) {
        var replies: [Reply] = []
        while true {
            switch try client.receive() {
            case .close(let code, _): return (replies, code)
            case .message(.binary): throw TestClientError.malformed("binary frame")
            case .message(.text(let text)):
                guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                    throw TestClientError.malformed(text)
                }
                let audio = (object["audio"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? []
                let chars = ((object["alignment"] as? [String: Any])?["chars"] as? [String])?.joined()
                let reply = Reply(audio: audio, isFinal: object["isFinal"] as? Bool == true, contextID: object["contextId"] as? String,
                                  chars: chars)
                replies.append(reply)
                if reply.isFinal { return (replies, nil) }
            }
        }
    }

    @Test func streamInputAsTheSDKSendsIt() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"]; $0.metricsAccess = .open }
        defer { fixture.stop() }
        let client = try connect(fixture.port, "/v1/text-to-speech/alba/stream-input?model_id=eleven_flash_v2_5&output_format=pcm_16000")
        try client.send(text: #"{"text":" ","try_trigger_generation":true,"generation_config":{"chunk_length_schedule":[50]}}"#)
        for piece in ["Hello big world. ", "The river was calm today. "] {
            try client.send(text: "{\"text\":\(jsonQuoted(piece)),\"try_trigger_generation\":true}")
        }
        try client.send(text: #"{"text":""}"#)
        let (replies, close) = try replies(client)
        #expect(close == nil && replies.last?.isFinal == true)
        let audio = replies.flatMap(\.audio)
        #expect(audio.count >= 4 * 1280 * 2)
        #expect(replies.compactMap(\.chars).joined(separator: " ") == "Hello big world. The river was calm today.")
        guard case .close(let code, _) = try client.receive() else { Issue.record("no close"); return }
        #expect(code == 1000)
        let metrics = try httpRequest(port: fixture.port, path: "/metrics").text
        #expect(metricValue(metrics, "pocket_tts_turns_total{outcome=\"completed\",protocol=\"elevenlabs\"}") == 1)
    }

    @Test func multiStreamInputContextsAndKeyInFirstMessage() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        // No header: the key comes in the first message.
        let client = try connect(fixture.port, "/v1/text-to-speech/alba/multi-stream-input?output_format=ulaw_8000", headers: [:])
        try client.send(text: #"{"text":" ","context_id":"one","xi_api_key":"secret"}"#)
        try client.send(text: #"{"text":"Good morning to you. ","context_id":"one","flush":true}"#)
        var audio: [UInt8] = []
        while audio.count < 640 * 3 {
            guard case .message(.text(let text)) = try client.receive() else { Issue.record("closed"); return }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(object["contextId"] as? String == "one")
            if let base64 = object["audio"] as? String, let bytes = Data(base64Encoded: base64) { audio += bytes }
        }
        // Barge-in: close the flushed context at once ("immediate"), speak another one.
        try client.send(text: #"{"context_id":"one","close_context":true,"immediate":true}"#)
        let closed = try replies(client)
        #expect(closed.replies.last?.isFinal == true && closed.replies.last?.contextID == "one")
        try client.send(text: #"{"text":"See you. ","context_id":"two"}"#)
        try client.send(text: #"{"close_socket":true}"#)
        let second = try replies(client)
        #expect(second.replies.last?.contextID == "two" && second.replies.last?.isFinal == true)
        #expect(!second.replies.flatMap(\.audio).isEmpty)

        let refused = try connect(fixture.port, "/v1/text-to-speech/alba/stream-input", headers: [:])
        try refused.send(text: #"{"text":" ","xi_api_key":"wrong"}"#)
        guard case .close(let code, let reason) = try refused.receive() else { Issue.record("not closed"); return }
        #expect(code == 1008 && reason.contains("API key"))
        #expect(try TestWebSocket.connect(port: fixture.port, path: "/v1/text-to-speech/alba/stream-input",
                                          headers: ["xi-api-key": "wrong"]).response.status == 401)
        let badFormat = try TestWebSocket.connect(port: fixture.port, path: "/v1/text-to-speech/alba/stream-input?output_format=wav_8000",
                                                  headers: ["xi-api-key": "secret"]).response
        #expect(badFormat.status == 400 && badFormat.text.contains("\"detail\""))
    }

    @Test func restConvertStreamAndVoices() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        func convert(_ path: String, headers: [String: String] = ["xi-api-key": "secret"]) throws -> (TestHTTPResponse, [UInt8]) {
            let client = try HTTPTestClient(port: fixture.port)
            let body = Array(#"{"text":"Hello big world. The river was calm today.","model_id":"eleven_multilingual_v2","voice_settings":{"speed":1.0}}"#.utf8)
            let head = try client.send(path: path, headers: ["Content-Type": "application/json"].merging(headers) { $1 }, body: body)
            return (head, head.headers["transfer-encoding"] == "chunked" ? try client.restOfBody() : head.body)
        }
        let (pcmHead, pcm) = try convert("/v1/text-to-speech/alba?output_format=pcm_24000")
        #expect(pcmHead.status == 200 && pcmHead.headers["content-type"] == "audio/pcm" && pcm.count >= 4 * 3840 && pcm.count % 3840 == 0)
        let (mp3Head, mp3) = try convert("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream")  // an ElevenLabs id: the default voice
        #expect(mp3Head.status == 200 && mp3Head.headers["content-type"] == "audio/mpeg" && mp3.count > 100)
        let (unauthorized, body) = try convert("/v1/text-to-speech/alba", headers: [:])
        #expect(unauthorized.status == 401 && String(decoding: body, as: UTF8.self).contains("\"detail\":{\"status\""))
        let (badFormat, _) = try convert("/v1/text-to-speech/alba?output_format=aac_44100")
        #expect(badFormat.status == 400)

        let voices = try httpRequest(port: fixture.port, path: "/v1/voices", headers: ["xi-api-key": "secret"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(voices.body)) as? [String: Any])
        #expect((list["voices"] as? [[String: Any]])?.contains { $0["voice_id"] as? String == "alba" } == true)
        let models = try httpRequest(port: fixture.port, path: "/v1/models", headers: ["xi-api-key": "secret"])
        #expect(models.text.hasPrefix("[{\"model_id\""))
        let openAI = try httpRequest(port: fixture.port, path: "/v1/models", headers: ["Authorization": "Bearer secret"])
        #expect(openAI.text.hasPrefix("{\"object\":\"list\""))
    }
}
