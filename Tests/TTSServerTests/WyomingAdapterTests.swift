import Foundation
import Testing
@testable import TTSServer

/// The Wyoming adapter as a pure value: events in, steps out; no socket.
@Suite struct WyomingAdapterTests {
    let context = WireContext(settings: ProtocolSettings(defaultVoice: "alba"), voices: ["alba", "marius"],
                              models: [ServedModel(modelName: "english_2026-10")])

    func adapter() -> WyomingAdapter {
        WyomingAdapter(request: HTTPRequest(method: "RAW", path: WyomingAdapter.path), context: context)
    }

    func receive(_ adapter: inout WyomingAdapter, _ type: String, _ data: [String: JSONValue] = [:],
                 state: SessionMachine.State) -> [WireStep] {
        adapter.receive(.binary(WyomingEvent(type: type, data: data).encoded), state: state)
    }

    /// The events a list of steps sends.
    func sent(_ steps: [WireStep]) -> [WyomingEvent] {
        steps.compactMap { step in
            guard case .send(.binary(let bytes)) = step else { return nil }
            return try? WyomingEvent.decode(bytes, limits: WyomingLimits(maxPayloadBytes: 1 << 20))
        }
    }

    @Test func describeListsOneProgramPerModelWithEveryVoice() throws {
        var adapter = adapter()
        let info = try #require(sent(receive(&adapter, "describe", state: .awaitingConfig)).first)
        #expect(info.type == "info")
        guard case .array(let programs)? = info.data["tts"], programs.count == 1, case .object(let program) = programs[0] else {
            Issue.record("\(info.data)"); return
        }
        #expect(program["name"] == .string("pocket-tts-english_2026-10") && program["installed"] == .bool(true))
        #expect(program["supports_synthesize_streaming"] == .bool(true) && program["version"] == .string("english_2026-10"))
        #expect(program["attribution"] == .object(["name": .string("Kyutai"), "url": .string("https://huggingface.co/kyutai/pocket-tts")]))
        guard case .array(let voices)? = program["voices"] else { Issue.record("no voices"); return }
        let names = voices.compactMap { voice -> String? in
            guard case .object(let fields) = voice, case .string(let name)? = fields["name"] else { return nil }
            #expect(fields["languages"] == .array([.string("en")]) && fields["installed"] == .bool(true))
            return name
        }
        #expect(names == ["alba", "marius"])
        for empty in ["asr", "handle", "intent", "wake", "mic", "snd"] { #expect(info.data[empty] == .array([])) }
        #expect(ServedModel(modelName: "french_24l").languages == ["fr"])
    }

    @Test func synthesizeIsOneGroupOfAudio() throws {
        var adapter = adapter()
        let steps = receive(&adapter, "synthesize", ["text": .string("Hello there."), "voice": .object(["name": .string("marius")])],
                            state: .awaitingConfig)
        guard steps.count == 2, case .machine(.config(let config)) = steps[0], steps[1] == .resume else { Issue.record("\(steps)"); return }
        #expect(config.voice == "marius" && config.format == .pcm && config.sampleRate == 24000 && config.binary && !config.marksPieces)
        #expect(adapter.resume(state: .streaming) == [.machine(.text("Hello there.")), .resume])
        #expect(adapter.resume(state: .streaming) == [.machine(.flush)])  // once the text is segmented
        let start = sent(adapter.outgoing(.configAccepted(requestID: "r"), state: .draining))
        #expect(start.map(\.type) == ["audio-start"])
        #expect(start[0].data == ["rate": .integer(24000), "width": .integer(2), "channels": .integer(1), "timestamp": .integer(0)])
        let frame = [UInt8](repeating: 1, count: 3840)  // 80 ms
        let chunks = sent(adapter.outgoing(.binaryAudio(frame), state: .draining) + adapter.outgoing(.binaryAudio(frame), state: .draining))
        #expect(chunks.map(\.type) == ["audio-chunk", "audio-chunk"] && chunks[1].payload == frame)
        #expect(chunks[1].data["timestamp"] == .integer(80))
        let end = adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig)
        #expect(sent(end).map(\.type) == ["audio-stop"] && sent(end)[0].data["timestamp"] == .integer(160) && end.last == .resume)
    }

    @Test func streamingGroupsAudioByPieceAndIgnoresTheLegacySynthesize() {
        var adapter = adapter()
        let opened = receive(&adapter, "synthesize-start", ["voice": .object(["language": .string("en_US")])], state: .awaitingConfig)
        guard case .machine(.config(let config))? = opened.first else { Issue.record("\(opened)"); return }
        #expect(config.voice == "alba" && config.marksPieces)
        #expect(adapter.outgoing(.configAccepted(requestID: "r"), state: .streaming).isEmpty)
        #expect(receive(&adapter, "synthesize-chunk", ["text": .string("Hello there. ")], state: .streaming) == [.machine(.text("Hello there. "))])
        let frame = [UInt8](repeating: 0, count: 3840)
        #expect(sent(adapter.outgoing(.binaryAudio(frame), state: .streaming)).map(\.type) == ["audio-start", "audio-chunk"])
        #expect(sent(adapter.outgoing(.binaryAudio([]), state: .streaming)).map(\.type) == ["audio-stop"])  // the next piece
        #expect(receive(&adapter, "synthesize", ["text": .string("Hello there. How are you?")], state: .streaming).isEmpty)
        #expect(receive(&adapter, "synthesize-stop", state: .streaming) == [.machine(.flush)])
        #expect(sent(adapter.outgoing(.binaryAudio(frame), state: .draining)).map(\.type) == ["audio-start", "audio-chunk"])
        let end = adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig)
        #expect(sent(end).map(\.type) == ["audio-stop", "synthesize-stopped"])
    }

    @Test func unknownVoicesAreErrorsAndTheConnectionGoesOn() {
        var adapter = adapter()
        for voice: JSONValue in [.object(["name": .string("nobody")]), .object(["language": .string("fr")]),
                                 .object(["name": .string("pocket-tts-english_2026-10"), "speaker": .string("x")]), .string("alba")] {
            let steps = receive(&adapter, "synthesize", ["text": .string("Hi."), "voice": voice], state: .awaitingConfig)
            let events = sent(steps)
            #expect(events.map(\.type) == ["error"] && !steps.contains { if case .close = $0 { true } else { false } })
            // A bare string and a language no model speaks are invalid configs; unknown names unknown voices.
            let invalid = voice == .string("alba") || voice == .object(["language": .string("fr")])
            #expect(events.first?.data["code"] == .string(invalid ? "invalid_config" : "unknown_voice"))
        }
        // A program name with a known speaker names that voice.
        let steps = receive(&adapter, "synthesize", ["text": .string("Hi."),
                                                     "voice": .object(["name": .string("pocket-tts-english_2026-10"), "speaker": .string("marius")])],
                            state: .awaitingConfig)
        guard case .machine(.config(let config))? = steps.first else { Issue.record("\(steps)"); return }
        #expect(config.voice == "marius")
    }

    @Test func aRefusedTurnIsAnErrorEvent() {
        var adapter = adapter()
        _ = receive(&adapter, "synthesize", ["text": .string("Hi.")], state: .awaitingConfig)
        let refused = adapter.outgoing(.error(.atCapacity), state: .awaitingConfig)
        #expect(sent(refused).first?.data == ["text": .string(ProtocolError.atCapacity.message), "code": .string("at_capacity")])
        #expect(adapter.resume(state: .awaitingConfig).isEmpty)  // its text is dropped
        // Streamed: the chunks that follow are dropped, synthesize-stop is answered.
        _ = receive(&adapter, "synthesize-start", state: .awaitingConfig)
        _ = adapter.outgoing(.error(.atCapacity), state: .awaitingConfig)
        #expect(receive(&adapter, "synthesize-chunk", ["text": .string("Hi. ")], state: .awaitingConfig).isEmpty)
        #expect(sent(receive(&adapter, "synthesize-stop", state: .awaitingConfig)).map(\.type) == ["synthesize-stopped"])
    }

    @Test func eventsForTheNextSynthesisWaitForTheAudio() {
        var adapter = adapter()
        _ = receive(&adapter, "synthesize", ["text": .string("One.")], state: .awaitingConfig)
        _ = adapter.resume(state: .streaming)
        _ = adapter.resume(state: .streaming)
        #expect(receive(&adapter, "synthesize", ["text": .string("Two.")], state: .draining).isEmpty)
        #expect(sent(receive(&adapter, "ping", ["text": .string("p")], state: .draining)).isEmpty)  // the machine answers
        #expect(sent(adapter.outgoing(.pong, state: .draining)).first?.data == ["text": .string("p")])
        #expect(sent(receive(&adapter, "describe", state: .draining)).map(\.type) == ["info"])  // at once
        #expect(adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig).last == .resume)
        let next = adapter.resume(state: .awaitingConfig)
        guard next.count == 2, case .machine(.config) = next[0] else { Issue.record("\(next)"); return }
        #expect(adapter.resume(state: .streaming) == [.machine(.text("Two.")), .resume])
        #expect(adapter.resume(state: .streaming) == [.machine(.flush)])
    }

    @Test func malformedEventsAndStreams() {
        var adapter = adapter()
        #expect(sent(receive(&adapter, "synthesize", ["text": .integer(5)], state: .awaitingConfig)).first?.data["code"] == .string("invalid_text"))
        #expect(sent(receive(&adapter, "synthesize-chunk", ["text": .string("x")], state: .awaitingConfig)).map(\.type) == ["error"])
        #expect(sent(receive(&adapter, "synthesize-stop", state: .awaitingConfig)).map(\.type) == ["error"])
        #expect(receive(&adapter, "transcribe", state: .awaitingConfig).isEmpty)  // another domain's: dropped
        #expect(receive(&adapter, "select-program", ["name": .string("x")], state: .awaitingConfig).isEmpty)
        let broken = adapter.receive(.text("a header line is longer than 65536 bytes"), state: .awaitingConfig)
        #expect(sent(broken).first?.data["code"] == .string("parse_error") && broken.last == .close(code: 1008, reason: "invalid JSON: a header line is longer than 65536 bytes"))
        let garbage = adapter.receive(.binary(Array("{\"type\":\"x\",\"data_length\":2}\n[]".utf8)), state: .awaitingConfig)
        #expect(sent(garbage).map(\.type) == ["error"] && garbage.contains { if case .close = $0 { true } else { false } })
    }
}
