import Testing
@testable import TTSServer

@Suite struct MessagePackTests {
    @Test func roundTripsEveryKind() throws {
        let value = MessagePackValue.map([
            (.string("type"), .string("Audio")), (.string("pcm"), .array([.float(0.5), .float(-1)])),
            (.string("data"), .binary([0, 1, 255])), (.string("n"), .uint(300)), (.string("m"), .int(-7)),
            (.string("d"), .double(1.25)), (.string("b"), .bool(true)), (.string("z"), .null),
        ])
        let bytes = MessagePack.encode(value)
        #expect(try MessagePack.decode(bytes) == value)
        #expect(try MessagePack.decode(bytes)["type"]?.stringValue == "Audio")
        // msgpack-python's {"type": "Eos"}, byte for byte.
        #expect(MessagePack.encode(.map([(.string("type"), .string("Eos"))])) == [0x81, 0xA4] + Array("type".utf8) + [0xA3] + Array("Eos".utf8))
    }

    @Test func limitsAreCheckedBeforeDecoding() {
        let limits = MessagePackLimits(maxBytes: 64, maxDepth: 3, maxElements: 10)
        #expect(throws: MessagePackError.limit("nesting deeper than 3")) {
            try MessagePack.decode([0x91, 0x91, 0x91, 0x91, 0x01], limits: limits)
        }
        #expect(throws: MessagePackError.limit("more than 10 elements")) {
            try MessagePack.decode([0x9C] + [UInt8](repeating: 1, count: 12), limits: limits)
        }
        #expect(throws: MessagePackError.limit("65 bytes, limit 64")) {
            try MessagePack.decode([0xC4, 63] + [UInt8](repeating: 0, count: 63), limits: limits)
        }
        // Lengths that run past the end: refused, never allocated for.
        for bytes: [UInt8] in [[0xDD, 0xFF, 0xFF, 0xFF, 0xFF], [0xDB, 0x7F, 0xFF, 0xFF, 0xFF, 0x41], [0xA5, 0x41], [0xCB, 0, 0], [0xC1], [],
                               [0x01, 0x02]] {
            #expect(throws: MessagePackError.self) { try MessagePack.decode(bytes) }
        }
    }

    @Test func deepgramModelsNameVoices() {
        let voices: Set<String> = ["alba", "marius"]
        #expect(DeepgramAdapter.voice(model: "aura-2-alba-en", in: voices) == "alba")
        #expect(DeepgramAdapter.voice(model: "aura-marius-en", in: voices) == "marius")
        #expect(DeepgramAdapter.voice(model: "marius", in: voices) == "marius")
        #expect(DeepgramAdapter.voice(model: "aura-2-helena-en", in: voices) == nil)
        #expect(KyutaiAdapter.voice("unmute-prod-website/alba.wav", in: voices) == "alba")
        let uuid = DeepgramAdapter.uuid(0, .max)
        #expect(uuid.count == 36 && uuid.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(uuid.dropFirst(14).first == "4")
    }
}
