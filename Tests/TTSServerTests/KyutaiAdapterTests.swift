import Testing
@testable import TTSServer

/// Kyutai's protocol as a pure value: msgpack (and text) frames in, typed messages to the
/// machine, the machine's messages out as Kyutai's frames. No sockets (those are in
/// KyutaiProtocolTests).
@Suite struct KyutaiAdapterTests {
    private static let context = WireContext(settings: ProtocolSettings(), voices: ["alba", "marius"])

    private static func adapter(_ query: [String: String] = [:]) -> KyutaiAdapter {
        KyutaiAdapter(request: HTTPRequest(method: "GET", path: "/api/tts_streaming", query: query), context: context)
    }

    private static func pack(_ pairs: [(String, MessagePackValue)]) -> WebSocketMessage {
        .binary(MessagePack.encode(.map(pairs.map { (.string($0.0), $0.1) })))
    }

    private static func decoded(_ step: WireStep?) -> MessagePackValue? {
        guard case .send(.binary(let bytes))? = step else { return nil }
        return try? MessagePack.decode(bytes)
    }

    @Test func theQueryMakesTheTurnWhichOpensAtOnce() {
        var adapter = Self.adapter(["voice": "expresso/marius.wav", "format": "Pcm"])
        guard case .machine(.config(let config))? = adapter.open(state: .awaitingConfig).first else {
            Issue.record("no config")
            return
        }
        #expect(config.voice == "marius" && config.voiceGiven && config.format == .pcmF32 && config.binary)
    }

    @Test func textAndEosBecomeTextAndFlush() {
        var adapter = Self.adapter()
        #expect(adapter.receive(Self.pack([("type", .string("Text")), ("text", .string("Hello"))]), state: .streaming)
            == [.machine(.text("Hello "))])
        #expect(adapter.receive(.text("there "), state: .streaming) == [.machine(.text("there "))])
        #expect(adapter.receive(Self.pack([("type", .string("Eos"))]), state: .streaming) == [.machine(.flush)])
        #expect(adapter.receive(.binary([0]), state: .streaming) == [.machine(.flush)])
        #expect(adapter.receive(.text("late"), state: .draining) == [])  // after Eos nothing more is spoken
    }

    @Test func aVoiceEmbeddingIsIgnored() {
        var adapter = Self.adapter()
        let voice = Self.pack([("type", .string("Voice")), ("embeddings", .array([.float(0.5)])), ("shape", .array([.int(1)]))])
        #expect(adapter.receive(voice, state: .streaming) == [])
    }

    @Test func outgoingReadyAudioAndTheEnd() {
        var adapter = Self.adapter(["format": "PcmMessagePack"])
        let ready = Self.decoded(adapter.outgoing(.configAccepted(requestID: "r"), state: .streaming).first)
        #expect(ready?["type"]?.stringValue == "Ready")
        let one = Float(1).bitPattern
        let payload: [UInt8] = (0..<4).map { UInt8((one >> (8 * $0)) & 0xFF) }
        let audio = Self.decoded(adapter.outgoing(.binaryAudio(payload), state: .streaming).first)
        #expect(audio?["type"]?.stringValue == "Audio")
        #expect(audio?["pcm"] == .array([.float(1)]))
        #expect(adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig) == [.close(code: 1000, reason: "end of utterance")])
    }

    @Test func errorsAreKyutaiErrorsThenAClose() {
        var adapter = Self.adapter()
        let steps = adapter.receive(Self.pack([("type", .string("Shout"))]), state: .streaming)
        guard case .report(let error)? = steps.first else { Issue.record("\(steps)"); return }
        #expect(error.code == .invalidType)
        #expect(Self.decoded(steps.dropFirst().first)?["type"]?.stringValue == "Error")
        guard case .close? = steps.last else { Issue.record("no close"); return }
        var unknown = Self.adapter(["voice": "nobody"])
        guard case .report(.unknownVoice)? = unknown.open(state: .awaitingConfig).first else { Issue.record("no unknown_voice"); return }
    }
}
