import Foundation
import Testing
@testable import TTSServer

/// ElevenLabs' WebSocket adapter as a pure value: frames in, steps out; no socket.
@Suite struct ElevenLabsAdapterTests {
    let context = WireContext(settings: ProtocolSettings(), voices: ["alba", "marius"])

    func adapter(_ path: String = "/v1/text-to-speech/marius/stream-input", query: [String: String] = ["output_format": "pcm_24000"],
                 context: WireContext? = nil) -> ElevenLabsAdapter {
        ElevenLabsAdapter(request: HTTPRequest(method: "GET", path: path, query: query, isWebSocketUpgrade: true),
                          context: context ?? self.context)
    }

    func object(_ step: WireStep) -> [String: Any]? {
        guard case .send(.text(let text)) = step else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    @Test func pathsAndFormats() {
        #expect(WireProtocols.serving("/v1/text-to-speech/alba/stream-input", nativePath: "/tts/ws")?.label == .elevenlabs)
        #expect(WireProtocols.serving("/v1/text-to-speech/alba/multi-stream-input", nativePath: "/tts/ws")?.label == .elevenlabs)
        #expect(WireProtocols.serving("/v1/text-to-speech//stream-input", nativePath: "/tts/ws") == nil)
        #expect(WireProtocols.serving("/v1/text-to-speech/alba/x/stream-input", nativePath: "/tts/ws") == nil)
        #expect(ElevenLabs.convert.match("/v1/text-to-speech/alba") == ["voice_id": "alba"])
        #expect(ElevenLabs.convert.match("/v1/text-to-speech/alba/stream") == nil)
        let pcm = ElevenLabs.outputFormat("pcm_16000")
        #expect(pcm?.format == .pcm && pcm?.sampleRate == 16000 && pcm?.contentType == "audio/pcm")
        #expect(ElevenLabs.outputFormat("ulaw_8000")?.format == .mulaw)
        let mp3 = ElevenLabs.outputFormat("mp3_44100_128")
        #expect(mp3?.format == .mp3 && mp3?.sampleRate == 44100 && mp3?.contentType == "audio/mpeg")
        #expect(ElevenLabs.outputFormat("opus_48000_64")?.format == .ogg)
        for name in ["pcm_12345", "wav_44100", "mp3_44100", "ulaw_16000", "pcm", ""] { #expect(ElevenLabs.outputFormat(name) == nil) }
        let refusal = ElevenLabsAdapter.refusal(HTTPRequest(method: "GET", path: "/v1/text-to-speech/a/stream-input",
                                                            query: ["output_format": "wav_44100"], isWebSocketUpgrade: true))
        #expect(refusal?.status == 400 && String(decoding: refusal?.body ?? [], as: UTF8.self).contains("\"detail\":{\"status\""))
    }

    @Test func oneContextFromFirstMessageToIsFinal() throws {
        var adapter = adapter()
        let first = #"{"text":" ","voice_settings":{"speed":1.2,"stability":0.5},"generation_config":{"chunk_length_schedule":[50,90]}}"#
        let opened = adapter.receive(.text(first), state: .awaitingConfig)
        guard opened.count == 1, case .machine(.config(let config)) = opened[0] else { Issue.record("\(opened)"); return }
        #expect(config.voice == "marius" && config.format == .pcm && config.sampleRate == 24000)
        #expect(config.speed == 1.2 && config.maxTokens == 13)
        #expect(adapter.receive(.text(#"{"text":"Hello big","try_trigger_generation":true}"#), state: .streaming)
            == [.machine(.text("Hello big "))])
        #expect(adapter.receive(.text(#"{"text":"world. "}"#), state: .streaming) == [.machine(.text("world. "))])
        let audio = adapter.outgoing(.binaryAudio([UInt8](repeating: 0, count: 4800)), state: .draining)  // 100 ms
        let message = try #require(object(audio[0]))
        #expect(message["audio"] as? String == Data(count: 4800).base64EncodedString() && message["isFinal"] as? Bool == false)
        #expect(message["contextId"] == nil)
        #expect(adapter.receive(.text(#"{"text":""}"#), state: .streaming) == [.machine(.flush)])
        let end = adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig)
        #expect(end.count == 3 && end.last == .close(code: 1000, reason: ""))
        let timings = try #require(object(end[0])?["alignment"] as? [String: Any])
        #expect((timings["chars"] as? [String])?.joined() == "Hello big world.")
        let starts = try #require(timings["charStartTimesMs"] as? [Int]), durations = try #require(timings["charDurationsMs"] as? [Int])
        #expect(starts.first == 0 && starts.last! + durations.last! == 100 && durations.reduce(0, +) == 100)
        #expect(object(end[1])?["isFinal"] as? Bool == true)
    }

    @Test func flushKeepsTheSocketAndLaterTextWaitsForTheAudio() {
        var adapter = adapter()
        _ = adapter.receive(.text(#"{"text":" "}"#), state: .awaitingConfig)
        #expect(adapter.receive(.text(#"{"text":"One. ","flush":true}"#), state: .streaming) == [.machine(.text("One. ")), .machine(.flush)])
        #expect(adapter.receive(.text(#"{"text":"Two. "}"#), state: .draining) == [])
        #expect(adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig).last == .resume)  // pcm: timings first
        let resumed = adapter.resume(state: .awaitingConfig)
        guard resumed.count == 2, case .machine(.config) = resumed[0] else { Issue.record("\(resumed)"); return }
        #expect(resumed[1] == .machine(.text("Two. ")))
    }

    /// LiveKit's and Pipecat's agents: each sentence sent with `flush`, then `close_context` at
    /// once while audio is still to come; an interruption opens a new context and says nothing
    /// of the old one (LiveKit) or closes it a second time (Pipecat).
    @Test func agentsCloseEachContextAtTheEndAndInterruptWithANewOne() throws {
        var adapter = adapter("/v1/text-to-speech/alba/multi-stream-input", query: ["output_format": "mp3_44100_128"])
        #expect(adapter.receive(.text(#"{"text":" ","context_id":"a"}"#), state: .awaitingConfig).count == 1)
        #expect(adapter.receive(.text(#"{"text":"One. ","context_id":"a","flush":true}"#), state: .streaming)
            == [.machine(.text("One. ")), .machine(.flush)])
        #expect(adapter.receive(.text(#"{"text":"Two. ","context_id":"a","flush":true}"#), state: .draining) == [])  // queued
        #expect(adapter.receive(.text(#"{"text":"","context_id":"a","flush":true}"#), state: .draining) == [])  // LiveKit's last flush
        #expect(adapter.receive(.text(#"{"context_id":"a","close_context":true}"#), state: .draining) == [])
        // The first sentence's end: no isFinal yet, the queued sentence of the closed context follows.
        #expect(adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig) == [.resume])
        let two = adapter.resume(state: .awaitingConfig)
        #expect(two.count == 4 && two[1] == .machine(.text("Two. ")) && two[2] == .machine(.flush) && two[3] == .resume)
        #expect(adapter.resume(state: .draining) == [])  // the last flush waits; nothing follows it
        let done = adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig)
        #expect(done.count == 2 && object(done[0])?["isFinal"] as? Bool == true && object(done[0])?["contextId"] as? String == "a")
        // LiveKit's interruption: context b is closed while draining, then c opens: b stops at once.
        _ = adapter.receive(.text(#"{"text":" ","context_id":"b"}"#), state: .awaitingConfig)
        _ = adapter.receive(.text(#"{"text":"Long answer. ","context_id":"b","flush":true}"#), state: .streaming)
        #expect(adapter.receive(.text(#"{"context_id":"b","close_context":true}"#), state: .draining) == [])
        let interrupted = adapter.receive(.text(#"{"text":" ","context_id":"c"}"#), state: .draining)
        #expect(interrupted.first == .machine(.cancel) && interrupted.last == .resume)
        #expect(object(interrupted[1])?["contextId"] as? String == "b" && object(interrupted[1])?["isFinal"] as? Bool == true)
        guard case .machine(.config)? = adapter.resume(state: .awaitingConfig).first else { Issue.record("c did not start"); return }
        // Pipecat's interruption: a second close_context of a context closed while draining stops it.
        _ = adapter.receive(.text(#"{"text":"Answer. ","context_id":"c","flush":true}"#), state: .streaming)
        #expect(adapter.receive(.text(#"{"context_id":"c","close_context":true}"#), state: .draining) == [])
        let again = adapter.receive(.text(#"{"context_id":"c","close_context":true}"#), state: .draining)
        #expect(again.first == .machine(.cancel) && object(again[1])?["contextId"] as? String == "c")
        // A context with nothing left to speak: its isFinal at once.
        let idle = adapter.receive(.text(#"{"context_id":"zzz","close_context":true}"#), state: .awaitingConfig)
        #expect(idle.count == 1 && object(idle[0])?["contextId"] as? String == "zzz")
    }

    @Test func contextsTakeTurnsAndCloseContextStopsTheSpeakingOne() throws {
        var adapter = adapter("/v1/text-to-speech/alba/multi-stream-input", query: [:])
        let opened = adapter.receive(.text(#"{"text":" ","context_id":"a"}"#), state: .awaitingConfig)
        guard case .machine(.config(let config))? = opened.first else { Issue.record("\(opened)"); return }
        #expect(config.format == .mp3 && config.sampleRate == 44100)  // the SDKs' default
        #expect(adapter.receive(.text(#"{"text":"Hi there. ","context_id":"a"}"#), state: .streaming) == [.machine(.text("Hi there. "))])
        #expect(adapter.receive(.text(#"{"text":"","context_id":"a"}"#), state: .streaming) == [.machine(.ping)])  // keep-alive
        let audio = adapter.outgoing(.binaryAudio([1, 2]), state: .streaming)
        #expect(object(audio[0])?["contextId"] as? String == "a")
        // Another context's text ends a's text and waits for its audio.
        #expect(adapter.receive(.text(#"{"text":"Next. ","context_id":"b"}"#), state: .streaming) == [.machine(.flush)])
        #expect(adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig) == [.resume])  // mp3: no timings
        let next = adapter.resume(state: .awaitingConfig)
        #expect(next.count == 2 && next[1] == .machine(.text("Next. ")))
        // A flushed context that is closed finishes; its isFinal follows its audio.
        #expect(adapter.receive(.text(#"{"text":"More. ","context_id":"b","flush":true}"#), state: .streaming)
            == [.machine(.text("More. ")), .machine(.flush)])
        #expect(adapter.receive(.text(#"{"context_id":"b","close_context":true}"#), state: .draining) == [])
        let finished = adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig)
        #expect(finished.count == 2 && object(finished[0])?["contextId"] as? String == "b" && object(finished[0])?["isFinal"] as? Bool == true)
        #expect(adapter.receive(.text(#"{"text":"Again. ","context_id":"b"}"#), state: .awaitingConfig).count == 2)  // a new context b
        // Barge-in: close_context of a speaking context not flushed (or "immediate") cancels it at once.
        let closed = adapter.receive(.text(#"{"context_id":"b","close_context":true}"#), state: .streaming)
        #expect(closed.first == .machine(.cancel))
        let final = try #require(object(closed[1]))
        #expect(final["isFinal"] as? Bool == true && final["contextId"] as? String == "b")
        // No context_id: the default context, whose replies name none.
        guard case .machine(.config)? = adapter.receive(.text(#"{"text":"Default. "}"#), state: .awaitingConfig).first else {
            Issue.record("no turn"); return
        }
        #expect(object(adapter.outgoing(.binaryAudio([1]), state: .streaming)[0])?["contextId"] == nil)
        #expect(adapter.receive(.text(#"{"text":"x","context_id":5}"#), state: .streaming).last?.isClose == true)
        #expect(adapter.receive(.text(#"{"close_socket":true}"#), state: .awaitingConfig).last == .close(code: 1000, reason: ""))
    }

    @Test func keyInTheFirstMessage() {
        let guarded = WireContext(settings: ProtocolSettings(), voices: ["alba"], authenticator: Authenticator(apiKeys: ["k"]))
        var refused = adapter(context: guarded)
        #expect(refused.receive(.text(#"{"text":" "}"#), state: .awaitingConfig).last?.isClose == true)
        var wrong = adapter(context: guarded)
        #expect(wrong.receive(.text(#"{"text":" ","xi_api_key":"x"}"#), state: .awaitingConfig).last?.isClose == true)
        var allowed = adapter(context: guarded)
        guard case .machine(.config)? = allowed.receive(.text(#"{"text":" ","xi_api_key":"k"}"#), state: .awaitingConfig).first else {
            Issue.record("refused"); return
        }
        var bearer = adapter(context: guarded)
        guard case .machine(.config)? = bearer.receive(.text(#"{"text":" ","authorization":"Bearer k"}"#), state: .awaitingConfig).first else {
            Issue.record("refused"); return
        }
    }

    @Test func errorsCloseWithTheReason() {
        var adapter = adapter()
        #expect(adapter.receive(.binary([1]), state: .awaitingConfig).last == .close(code: 1008, reason: ProtocolError.binaryFrame.message))
        #expect(adapter.outgoing(.error(.atCapacity), state: .awaitingConfig) == [.close(code: 1013, reason: ProtocolError.atCapacity.message)])
        #expect(ElevenLabs.closeReason(String(repeating: "é", count: 100)).utf8.count <= 123)
    }

    @Test func timingsFillTheDurationExactly() {
        let timings = ElevenLabsAlignment.timings(characters: 7, milliseconds: 1000)
        #expect(timings.starts.first == 0 && timings.durations.reduce(0, +) == 1000)
        #expect(zip(timings.starts.dropFirst(), zip(timings.starts, timings.durations)).allSatisfy { $0 == $1.0 + $1.1 })
    }
}

extension WireStep {
    var isClose: Bool { if case .close = self { true } else { false } }
}
