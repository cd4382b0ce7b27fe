import Foundation
import Testing
@testable import TTSServer

/// A client of Kyutai's /api/tts_streaming written from the protocol (msgpack maps both ways).
final class KyutaiTestClient {
    enum Message: Equatable {
        case ready
        case audio([Float])
        case oggOpus([UInt8])
        case binary([UInt8])
        case error(String)
        case close(code: UInt16)
    }

    let webSocket: TestWebSocket
    let raw: Bool

    /// `raw`: audio comes as plain binary frames (`Pcm`, `OggOpus`), not msgpack.
    init(port: Int, query: String, headers: [String: String] = ["kyutai-api-key": "secret"], raw: Bool = false) throws {
        let (response, client) = try TestWebSocket.connect(port: port, path: "/api/tts_streaming?\(query)", headers: headers,
                                                             timeoutSeconds: 10)  // a debug build, tests in parallel
        guard response.status == 101, let client else { throw TestClientError.malformed("status \(response.status)") }
        webSocket = client
        self.raw = raw
    }

    func send(_ pairs: [(String, MessagePackValue)]) throws {
        try webSocket.send(binary: MessagePack.encode(.map(pairs.map { (.string($0.0), $0.1) })))
    }
    func text(_ word: String) throws { try send([("type", .string("Text")), ("text", .string(word))]) }
    func eos() throws { try send([("type", .string("Eos"))]) }

    func next() throws -> Message {
        switch try webSocket.receive() {
        case .close(let code, _): return .close(code: code)
        case .message(.text(let text)): throw TestClientError.malformed("text frame \(text)")
        case .message(.binary(let bytes)):
            if let value = try? MessagePack.decode(bytes), let type = value["type"]?.stringValue {
                switch type {
                case "Ready": return .ready
                case "Error": return .error(value["message"]?.stringValue ?? "")
                case "OggOpus": if case .binary(let data)? = value["data"] { return .oggOpus(data) }
                case "Audio":
                    if case .array(let items)? = value["pcm"] {
                        return .audio(items.compactMap { if case .float(let x) = $0 { x } else { nil } })
                    }
                default: break
                }
            }
            guard raw else { throw TestClientError.malformed("not a message: \(bytes.prefix(16))") }
            return .binary(bytes)
        }
    }

    /// Every message up to the server's close, and the close code.
    func untilClose() throws -> (messages: [Message], code: UInt16) {
        var messages: [Message] = []
        while true {
            let message = try next()
            if case .close(let code) = message { return (messages, code) }
            messages.append(message)
        }
    }
}

@Suite(.serialized) struct KyutaiProtocolTests {
    @Test func wordsOneByOneThenEosGetReadyFramesAndTheClose() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let want = try TinyModel.frames("Hello big world.")
        let client = try KyutaiTestClient(port: fixture.port, query: "voice=alba&format=PcmMessagePack&temperature=0&cfg_alpha=1.5")
        #expect(try client.next() == .ready)
        for word in ["Hello", "big", "world."] { try client.text(word) }
        try client.eos()
        let (messages, code) = try client.untilClose()
        #expect(code == 1000)  // the end of the utterance
        #expect(messages.count == want.count)
        for (k, (message, frame)) in zip(messages, want).enumerated() {
            guard case .audio(let samples) = message else { Issue.record("message \(k): \(message)"); return }
            #expect(samples.count == 1920)
            #expect(relativeError(samples, frame) < 1e-4, "frame \(k)")
        }
    }

    @Test func textFramesAndTheZeroByteWithRawPcmAndAuthID() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let want = try TinyModel.frames("Good morning.")
        let client = try KyutaiTestClient(port: fixture.port, query: "voice=alba&format=Pcm&temperature=0&auth_id=secret",
                                          headers: [:], raw: true)
        #expect(try client.next() == .ready)
        try client.webSocket.send(text: "Good")
        try client.webSocket.send(text: "morning.")
        try client.webSocket.send(binary: [0])
        let (messages, code) = try client.untilClose()
        #expect(code == 1000)
        #expect(messages.count == want.count)
        for (message, frame) in zip(messages, want) {
            guard case .binary(let bytes) = message else { Issue.record("\(message)"); return }
            #expect(relativeError(float32Samples(bytes), frame) < 1e-4)
        }
    }

    @Test func oggOpusByDefaultHeaderPagesFirst() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let client = try KyutaiTestClient(port: fixture.port, query: "voice=expresso/alba.wav", raw: true)
        #expect(try client.next() == .ready)
        try client.text("Hello.")
        try client.eos()
        let (messages, code) = try client.untilClose()
        #expect(code == 1000)
        guard case .binary(let first)? = messages.first else { Issue.record("no audio: \(messages)"); return }
        #expect(Array(first.prefix(4)) == Array("OggS".utf8))
        #expect(first.count > 28 && Array(first[28..<36]) == Array("OpusHead".utf8))
    }

    @Test func closingTheSocketCancelsTheTurn() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"]; $0.metricsAccess = .open }
        defer { fixture.stop() }
        let client = try KyutaiTestClient(port: fixture.port, query: "voice=alba&format=PcmMessagePack")
        #expect(try client.next() == .ready)
        for word in ["The", "river", "was", "calm", "today.", "It", "was", "very", "calm."] { try client.text(word) }
        guard case .audio = try client.next() else { Issue.record("no audio"); return }
        try client.webSocket.sendClose()
        #expect(eventually(5) {
            let metrics = (try? httpRequest(port: fixture.port, path: "/metrics").text) ?? ""
            return metricValue(metrics, "pocket_tts_turns_total{outcome=\"cancelled\"}") == 1
                && metricValue(metrics, "pocket_tts_sessions") == 0
        })
    }

    @Test func refusals() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let path = "/api/tts_streaming?voice=alba"
        #expect(try TestWebSocket.connect(port: fixture.port, path: path).response.status == 401)
        #expect(try TestWebSocket.connect(port: fixture.port, path: path, headers: ["kyutai-api-key": "wrong"]).response.status == 401)
        #expect(try TestWebSocket.connect(port: fixture.port, path: path + "&auth_id=wrong").response.status == 401)

        let unknown = try KyutaiTestClient(port: fixture.port, query: "voice=nobody")
        #expect(try unknown.untilClose().messages == [.error("unknown voice \"nobody\"")])

        // Malformed msgpack, and a header claiming four billion elements: an Error, then the close.
        for bytes: [UInt8] in [[0xC1], [0x81, 0xA4], [0xDD, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]] {
            let client = try KyutaiTestClient(port: fixture.port, query: "voice=alba")
            #expect(try client.next() == .ready)
            try client.webSocket.send(binary: bytes)
            let (messages, code) = try client.untilClose()
            #expect(code == 1008)
            guard case .error(let message)? = messages.last else { Issue.record("\(messages)"); continue }
            #expect(message.contains("msgpack"))
        }
    }
}
