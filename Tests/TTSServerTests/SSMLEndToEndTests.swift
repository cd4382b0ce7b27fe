import Foundation
import Testing
@testable import TTSServer

/// SSML through the real server over the tiny model: a `<break>` is silence of its length in the
/// audio (24 kHz: 500 ms = 12,000 samples), malformed SSML is `invalid_ssml` and the session or
/// server goes on; and each protocol's SSML switch.
@Suite struct SSMLEndToEndTests {
    static func document(_ pause: String) -> String {
        "<speak>Hello big world.<break time=\"\(pause)\"/>The river was calm today.</speak>"
    }

    /// 16-bit samples of a native SSML turn.
    func nativeSamples(_ client: TTSTestClient, _ ssml: String) throws -> [Int16] {
        try client.config("\"format\":\"pcm\",\"temperature\":0,\"seed\":7,\"ssml\":true")
        _ = try client.expectAccepted()
        try client.text(ssml)
        try client.flush()
        let bytes = try client.collectTurn().audio.flatMap { $0 }
        return stride(from: 0, to: bytes.count - 1, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
    }

    /// The longest run of exact zeros.
    func longestSilence(_ samples: [Int16]) -> Int {
        var longest = 0, run = 0
        for sample in samples {
            run = sample == 0 ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    @Test func nativeBreakAddsItsSilenceAndMalformedSSMLLeavesTheSessionUsable() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let client = try fixture.connect()
        let without = try nativeSamples(client, Self.document("0ms"))
        let with = try nativeSamples(client, Self.document("500ms"))
        #expect(without.count > 0)
        #expect(with.count - without.count == 12_000)
        #expect(longestSilence(with) >= 12_000 && longestSilence(without) < 12_000)

        // Malformed: invalid_ssml, then the same connection speaks again.
        try client.config("\"format\":\"pcm\",\"ssml\":true")
        _ = try client.expectAccepted()
        try client.text("<speak>Hello <prosody rate=\"fast\">there.</speak>")
        try client.flush()
        guard case .error(let code, let message) = try client.next() else { Issue.record("expected an error"); return }
        #expect(code == "invalid_ssml" && message.contains("prosody"))
        let again = try nativeSamples(client, Self.document("0ms"))
        #expect(again == without)
    }

    @Test func nativeRateChangesTheLengthOfItsPiece() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let client = try fixture.connect()
        let plain = try nativeSamples(client, "<speak>Hello big world.<break time=\"0ms\"/>The river was calm today.</speak>")
        let slow = try nativeSamples(client, "<speak>Hello big world.<break time=\"0ms\"/><prosody rate=\"50%\">The river was calm today.</prosody></speak>")
        // The second piece is twice as long; the first is unchanged.
        #expect(slow.count > plain.count + 4 * 1920)
        #expect(slow.count < 2 * plain.count + 1920)
    }

    func speech(_ port: Int, _ json: String) throws -> (TestHTTPResponse, [UInt8]) {
        let client = try HTTPTestClient(port: port)
        let head = try client.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: Array(json.utf8))
        return (head, head.headers["transfer-encoding"] == "chunked" ? try client.restOfBody() : head.body)
    }

    @Test func openAIInputStartingWithSpeakIsSSML() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let (head, pcm) = try speech(fixture.port, "{\"input\":\(jsonQuoted(Self.document("500ms"))),\"voice\":\"alba\",\"response_format\":\"pcm\"}")
        #expect(head.status == 200)
        let samples = stride(from: 0, to: pcm.count - 1, by: 2).map { Int16(bitPattern: UInt16(pcm[$0]) | UInt16(pcm[$0 + 1]) << 8) }
        // Whole 1920-sample frames of speech plus the 12,000 samples of the break.
        #expect(samples.count % 1920 == 12_000 % 1920 && samples.count > 12_000)
        #expect(longestSilence(samples) >= 12_000)

        let (bad, body) = try speech(fixture.port, "{\"input\":\"<speak>Tom & Jerry</speak>\",\"voice\":\"alba\",\"response_format\":\"pcm\"}")
        #expect(bad.status == 400)
        let error = (jsonObject(body)?["error"] as? [String: Any])
        #expect(error?["code"] as? String == "invalid_ssml")
        // The server goes on.
        let (after, _) = try speech(fixture.port, "{\"input\":\"Hello.\",\"voice\":\"alba\",\"response_format\":\"pcm\"}")
        #expect(after.status == 200)
    }

    @Test func wyomingTextFormatSSMLAndElevenLabsFlagSetTheTurn() throws {
        let context = WireContext(settings: ProtocolSettings(defaultVoice: "alba"), voices: ["alba"])
        var wyoming = WyomingAdapter(request: HTTPRequest(method: "RAW", path: WyomingAdapter.path), context: context)
        let event = WyomingEvent(type: "synthesize", data: ["text": .string("<speak>Hi</speak>"), "text_format": .string("ssml")])
        let steps = wyoming.receive(.binary(event.encoded), state: .awaitingConfig)
        let configs = steps.compactMap { if case .machine(.config(let config)) = $0 { config } else { nil } }
        #expect(configs.count == 1 && configs.first?.ssml == true)

        let plain = WyomingEvent(type: "synthesize", data: ["text": .string("Hi")])
        var other = WyomingAdapter(request: HTTPRequest(method: "RAW", path: WyomingAdapter.path), context: context)
        let plainConfigs = other.receive(.binary(plain.encoded), state: .awaitingConfig)
            .compactMap { if case .machine(.config(let config)) = $0 { config } else { nil } }
        #expect(plainConfigs.first?.ssml == false)

        let eleven = try ElevenLabs.turnConfig(voiceID: "alba", query: ["enable_ssml_parsing": "true"], defaultFormat: "pcm_24000",
                                               context: context).get()
        #expect(eleven.ssml)
        #expect(try !ElevenLabs.turnConfig(voiceID: "alba", query: [:], defaultFormat: "pcm_24000", context: context).get().ssml)
    }

    @Test func elevenLabsSSMLMessagesAreJoinedAsSent() {
        let request = HTTPRequest(method: "GET", path: "/v1/text-to-speech/alba/stream-input",
                                  query: ["output_format": "pcm_24000", "enable_ssml_parsing": "true"], isWebSocketUpgrade: true)
        var adapter = ElevenLabsAdapter(request: request, context: WireContext(settings: ProtocolSettings(), voices: ["alba"]))
        let opened = adapter.receive(.text(#"{"text":" "}"#), state: .awaitingConfig)
        let config = opened.compactMap { if case .machine(.config(let config)) = $0 { config } else { nil } }.first
        #expect(config?.ssml == true)
        // A message may end inside a tag (no word-boundary space added), and white space alone is kept.
        #expect(adapter.receive(.text(#"{"text":"<speak>Hi<brea"}"#), state: .streaming) == [.machine(.text("<speak>Hi<brea"))])
        #expect(adapter.receive(.text(#"{"text":"k/>"}"#), state: .streaming) == [.machine(.text("k/>"))])
        #expect(adapter.receive(.text(#"{"text":"  "}"#), state: .streaming) == [.machine(.text("  "))])
    }

    @Test func httpPlanCarriesSSMLInItsConfig() throws {
        var plan = HTTPSpeechPlan(text: "<speak>Hi</speak>", voice: "alba", format: .pcm)
        plan.ssml = true
        #expect(try plan.turnConfig(settings: ProtocolSettings()).ssml)
    }
}
