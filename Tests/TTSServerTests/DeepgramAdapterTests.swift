import Testing
@testable import TTSServer

/// Deepgram's protocol as a pure value: JSON frames in, typed messages to the machine, the
/// machine's messages out as Deepgram's frames. No sockets (those are in DeepgramProtocolTests).
@Suite struct DeepgramAdapterTests {
    private static let context = WireContext(settings: ProtocolSettings(), voices: ["alba", "marius"])

    private static func adapter(_ query: [String: String] = [:]) -> DeepgramAdapter {
        DeepgramAdapter(request: HTTPRequest(method: "GET", path: "/v1/speak", query: query), context: context)
    }

    private static func text(_ step: WireStep?) -> String? {
        guard case .send(.text(let text))? = step else { return nil }
        return text
    }

    @Test func openingSendsMetadata() {
        var adapter = Self.adapter(["model": "aura-2-marius-en"])
        let steps = adapter.open(state: .awaitingConfig)
        #expect(steps.count == 1)
        #expect(Self.text(steps.first)?.contains("\"type\":\"Metadata\"") == true)
        #expect(Self.text(steps.first)?.contains("\"model_name\":\"aura-2-marius-en\"") == true)
    }

    @Test func speakOpensATurnAndFlushEndsIt() {
        var adapter = Self.adapter(["model": "aura-2-marius-en", "encoding": "mulaw", "sample_rate": "8000"])
        let steps = adapter.receive(.text(#"{"type":"Speak","text":"Hello"}"#), state: .awaitingConfig)
        guard case .machine(.config(let config))? = steps.first else { Issue.record("\(steps)"); return }
        #expect(config.voice == "marius" && config.format == .mulaw && config.sampleRate == 8000)
        #expect(steps.last == .machine(.text("Hello ")))
        #expect(adapter.receive(.text(#"{"type":"Speak","text":"there."}"#), state: .streaming) == [.machine(.text("there. "))])
        #expect(adapter.receive(.text(#"{"type":"Flush"}"#), state: .streaming) == [.machine(.flush)])
    }

    @Test func flushedThenHeldWorkResumes() {
        var adapter = Self.adapter()
        // A Speak while the flushed turn still plays waits for its Flushed.
        #expect(adapter.receive(.text(#"{"type":"Speak","text":"Next."}"#), state: .draining) == [])
        let steps = adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig)
        #expect(Self.text(steps.first) == #"{"type":"Flushed","sequence_id":0}"#)
        #expect(steps.last == .resume)
        let resumed = adapter.resume(state: .awaitingConfig)
        guard case .machine(.config)? = resumed.first else { Issue.record("\(resumed)"); return }
        #expect(resumed.last == .machine(.text("Next. ")))
    }

    @Test func clearCancelsAndAnswersCleared() {
        var adapter = Self.adapter()
        let steps = adapter.receive(.text(#"{"type":"Clear"}"#), state: .streaming)
        #expect(steps.first == .machine(.cancel))
        #expect(Self.text(steps.last) == #"{"type":"Cleared","sequence_id":0}"#)
    }

    @Test func audioIsBinaryAndErrorsAreWarnings() {
        var adapter = Self.adapter()
        #expect(adapter.outgoing(.binaryAudio([1, 2, 3]), state: .streaming) == [.send(.binary([1, 2, 3]))])
        let warning = Self.text(adapter.outgoing(.error(.unknownVoice("x")), state: .awaitingConfig).first)
        #expect(warning?.contains("\"type\":\"Warning\"") == true && warning?.contains("\"code\":\"UNKNOWN_VOICE\"") == true)
        let bad = Self.text(adapter.receive(.text("{nope"), state: .streaming).first)
        #expect(bad?.contains("\"code\":\"INVALID_MESSAGE\"") == true)
        #expect(adapter.receive(.text(#"{"type":"Close"}"#), state: .awaitingConfig) == [.close(code: 1000, reason: "")])
    }
}
