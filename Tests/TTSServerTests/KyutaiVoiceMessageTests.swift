import Foundation
import Testing
@testable import TTSServer

/// Kyutai's `{"type":"Voice","embeddings":[f32…],"shape":[…]}` as unmute sends it before the
/// first Text: far larger than `max_message_bytes`, accepted and ignored under its own bound
/// (`kyutai_max_voice_message_bytes`), never a failure.
@Suite(.serialized) struct KyutaiVoiceMessageTests {
    /// A Voice message of `shape`, its floats as f32 (msgpack-c, Rust clients) or f64 (Python's
    /// msgpack packs floats as doubles).
    static func voiceMessage(shape: [Int], double: Bool = false) -> [UInt8] {
        let count = shape.reduce(1, *)
        let embeddings = (0..<count).map { i -> MessagePackValue in
            let x = Float(i % 97) / 97 - 0.5
            return double ? .double(Double(x)) : .float(x)
        }
        return MessagePack.encode(.map([
            (.string("type"), .string("Voice")),
            (.string("embeddings"), .array(embeddings)),
            (.string("shape"), .array(shape.map { .uint(UInt64($0)) })),
        ]))
    }

    @Test(arguments: [([1, 125, 1024], false), ([1, 125, 1024], true), ([1, 10, 512], false)])
    func aRealisticVoiceMessageIsIgnoredAndTheUtteranceGoesOn(shape: [Int], double: Bool) throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let voice = Self.voiceMessage(shape: shape, double: double)
        if shape == [1, 125, 1024] {  // Pocket's shape: over max_message_bytes, which used to close the socket (1009)
            #expect(voice.count > fixture.service.config.maxMessageBytes)
        }
        let want = try TinyModel.frames("Hello world.")
        let client = try KyutaiTestClient(port: fixture.port, query: "voice=alba&format=PcmMessagePack&temperature=0")
        #expect(try client.next() == .ready)
        try client.webSocket.send(binary: voice)
        for word in ["Hello", "world."] { try client.text(word) }
        try client.eos()
        let (messages, code) = try client.untilClose()
        #expect(code == 1000)  // the end of the utterance: no Error, no 1009
        #expect(messages.count == want.count)
        #expect(messages.allSatisfy { if case .audio = $0 { true } else { false } })
        #expect(fixture.service.metrics.errorCount(.parseError) == 0)
    }

    @Test func otherLargeMessagesKeepMaxMessageBytes() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let limit = fixture.service.config.maxMessageBytes
        // A Text message (binary msgpack) and a text frame, both over max_message_bytes.
        let bigText = MessagePack.encode(.map([(.string("type"), .string("Text")), (.string("text"), .string(String(repeating: "a", count: limit + 10)))]))
        for send in [{ (client: KyutaiTestClient) in try client.webSocket.send(binary: bigText) },
                     { client in try client.webSocket.send(text: String(repeating: "b", count: limit + 10)) }] {
            let client = try KyutaiTestClient(port: fixture.port, query: "voice=alba&format=PcmMessagePack")
            #expect(try client.next() == .ready)
            try send(client)
            #expect(try client.untilClose().code == 1009)
        }
    }

    @Test func aVoiceOverItsOwnBoundIsClosedWith1009() throws {
        let fixture = try EngineServiceFixture {
            $0.apiKeys = ["secret"]
            $0.kyutaiMaxVoiceMessageBytes = 200_000
        }
        defer { fixture.stop() }
        let client = try KyutaiTestClient(port: fixture.port, query: "voice=alba&format=PcmMessagePack")
        #expect(try client.next() == .ready)
        try client.webSocket.send(binary: Self.voiceMessage(shape: [1, 125, 1024]))  // 0.6 MB
        #expect(try client.untilClose().code == 1009)

        // Within the bound, a Voice whose embedding is not even floats is still ignored.
        let odd = try KyutaiTestClient(port: fixture.port, query: "voice=alba&format=PcmMessagePack")
        #expect(try odd.next() == .ready)
        try odd.send([("type", .string("Voice")), ("embeddings", .string(String(repeating: "x", count: 100_000))), ("shape", .null)])
        try odd.text("Hi.")
        try odd.eos()
        let (messages, code) = try odd.untilClose()
        #expect(code == 1000 && !messages.isEmpty)
    }

    @Test func theBoundIsAConfigKey() throws {
        #expect(ServerConfig().kyutaiMaxVoiceMessageBytes == 4 << 20)
        let config = try ServerConfig.load(filePath: nil, environment: ["POCKET_TTS_KYUTAI_MAX_VOICE_MESSAGE_BYTES": "1000000"])
        #expect(config.kyutaiMaxVoiceMessageBytes == 1_000_000)
    }

    @Test func decodingOnlySomeKeysLeavesTheOthersUnconverted() throws {
        let bytes = Self.voiceMessage(shape: [2, 3])
        let value = try MessagePack.decode(bytes, keys: ["type"])
        #expect(value["type"] == .string("Voice"))
        #expect(value["embeddings"] == .null && value["shape"] == .null)
        guard case .array(let items)? = try MessagePack.decode(bytes)["embeddings"] else { Issue.record("no embeddings"); return }
        #expect(items.count == 6)
    }
}
