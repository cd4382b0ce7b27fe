import Testing
@testable import TTSServer

/// The registry of connection protocols: paths (fixed, templated, the configured native one),
/// labels, message bounds, authentication.
@Suite struct WireProtocolsTests {
    private func label(_ path: String, native: String = "/tts/ws") -> ProtocolLabel? {
        WireProtocols.serving(path, nativePath: native)?.label
    }

    @Test func pathsFindTheirProtocols() {
        #expect(label("/tts/ws") == .native)
        #expect(label("/speech", native: "/speech") == .native)
        #expect(label("/tts/ws", native: "/speech") == nil)
        #expect(label("/{native}/") == nil)  // the placeholder is not a path
        #expect(label("/api/tts_streaming") == .kyutai)
        #expect(label("/v1/speak") == .deepgram)
        #expect(label("/v1/text-to-speech/alba/stream-input") == .elevenlabs)
        #expect(label("/v1/text-to-speech/alba/multi-stream-input") == .elevenlabs)
        #expect(label("/v1/text-to-speech/alba") == nil)  // REST, not a WebSocket
        #expect(label(WyomingAdapter.path) == .wyoming)
        #expect(label("/nope") == nil)
    }

    @Test func labelsAreUniqueAndCoverTheHTTPEndpoints() {
        let labels = WireProtocols.all.map(\.label)
        #expect(Set(labels).count == labels.count)
        #expect(Set(ProtocolLabel.allCases) == Set(labels + [.httpTTS, .openai]))
    }

    @Test func messageBoundsAndAuthentication() {
        var config = ServerConfig()
        config.maxMessageBytes = 1000
        config.kyutaiMaxVoiceMessageBytes = 5000
        #expect(WireProtocols.maxMessageBytesByPath(config) == ["/api/tts_streaming": 5000])
        #expect(WireProtocols.serving("/v1/text-to-speech/a/stream-input", nativePath: "/tts/ws")?.authentication
            == .upgradeOrFirstMessage(deadline: 10))
        #expect(WireProtocols.serving(WyomingAdapter.path, nativePath: "/tts/ws")?.authentication == .trustedNetwork)
        #expect(WireProtocols.serving("/tts/ws", nativePath: "/tts/ws")?.authentication == .upgrade)
    }
}
