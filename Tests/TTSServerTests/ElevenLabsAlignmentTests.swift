import Foundation
import Testing
@testable import TTSServer

/// ElevenLabs' character timings per engine chunk (ElevenLabsAlignment.swift): each chunk's
/// characters fill that chunk's own audio, so chunk edges fall on the chunk's audio offsets.
@Suite struct ElevenLabsAlignmentTests {
    struct Timings {
        var chars: [String]
        var starts: [Int]
        var durations: [Int]
        func end(_ index: Int) -> Int { starts[index] + durations[index] }
    }

    static func timings(_ steps: [WireStep]) throws -> Timings? {
        for step in steps {
            guard case .send(.text(let text)) = step,
                  let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let alignment = object["alignment"] as? [String: Any] else { continue }
            return Timings(chars: try #require(alignment["chars"] as? [String]), starts: try #require(alignment["charStartTimesMs"] as? [Int]),
                           durations: try #require(alignment["charDurationsMs"] as? [Int]))
        }
        return nil
    }

    static func adapter(format: String) -> (ElevenLabsAdapter, TurnConfig?) {
        var adapter = ElevenLabsAdapter(request: HTTPRequest(method: "GET", path: "/v1/text-to-speech/alba/stream-input",
                                                             query: ["output_format": format], isWebSocketUpgrade: true),
                                        context: WireContext(settings: ProtocolSettings(), voices: ["alba"]))
        let opened = adapter.receive(.text(#"{"text":" "}"#), state: .awaitingConfig)
        guard case .machine(.config(let config))? = opened.first else { return (adapter, nil) }
        return (adapter, config)
    }

    /// Engine frames (80 ms) of `samples` samples at the format's rate, as the adapter gets them.
    static func frames(samples: Int, bytesPerSample: Int, rate: Int) -> [[UInt8]] {
        let perFrame = rate * 80 / 1000
        return stride(from: 0, to: samples, by: perFrame).map { [UInt8](repeating: 0x55, count: min(perFrame, samples - $0) * bytesPerSample) }
    }

    @Test(arguments: [("pcm_24000", 2, 24000), ("pcm_16000", 2, 16000), ("ulaw_8000", 1, 8000)])
    func eachChunksCharactersFillItsOwnAudio(format: String, bytesPerSample: Int, rate: Int) throws {
        var (adapter, config) = Self.adapter(format: format)
        #expect(config?.marksPieces == true)  // the engine is asked to mark its chunks
        _ = adapter.receive(.text(#"{"text":"Hello there.  How are you today? Fine.","flush":true}"#), state: .streaming)
        let chunks = ["Hello there.", "How are you today?", "Fine."]
        let samples = [rate * 13 / 10 + 17, rate * 2 + rate / 3, rate / 2 - 5]  // odd lengths: partial last frames
        for chunk in chunks { adapter.chunkSpoken(chunk) }
        for (index, count) in samples.enumerated() {
            if index > 0 { #expect(adapter.outgoing(.binaryAudio([]), state: .draining) == []) }  // the mark sends nothing
            for frame in Self.frames(samples: count, bytesPerSample: bytesPerSample, rate: rate) {
                #expect(adapter.outgoing(.binaryAudio(frame), state: .draining).count == 1)
            }
        }
        let timings = try #require(try Self.timings(adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig)))
        #expect(timings.chars.joined() == "Hello there. How are you today? Fine.")

        // Chunk edges: the sample offsets where each chunk's audio starts and ends, in ms.
        var first = 0, offset = 0
        for (index, chunk) in chunks.enumerated() {
            let count = chunk.count + (index < chunks.count - 1 ? 1 : 0)  // the space between two chunks is the earlier one's
            let last = first + count - 1
            let startMs = Int((Double(offset) / Double(rate) * 1000).rounded())
            offset += samples[index]
            let endMs = Int((Double(offset) / Double(rate) * 1000).rounded())
            #expect(timings.starts[first] == startMs, "chunk \(index) starts with its audio")
            #expect(timings.end(last) == endMs, "chunk \(index) ends with its audio")
            for i in first...last { #expect(timings.starts[i] >= startMs && timings.end(i) <= endMs) }
            first = last + 1
        }
        #expect(first == timings.chars.count)
        for i in 1..<timings.chars.count { #expect(timings.starts[i] == timings.end(i - 1)) }  // no gaps, no overlaps
    }

    @Test func chunksThatDoNotPairWithTheirAudioAreTimedOverTheTurn() throws {
        var (adapter, _) = Self.adapter(format: "pcm_24000")
        _ = adapter.receive(.text(#"{"text":"One two three. Four five six.","flush":true}"#), state: .streaming)
        adapter.chunkSpoken("One two three.")
        adapter.chunkSpoken("Four five six.")
        _ = adapter.outgoing(.binaryAudio([UInt8](repeating: 0, count: 48_000)), state: .draining)  // 1 s, no mark
        let timings = try #require(try Self.timings(adapter.outgoing(.final(requestID: "r"), state: .awaitingConfig)))
        #expect(timings.chars.joined() == "One two three. Four five six.")
        #expect(timings.starts.first == 0 && timings.end(timings.chars.count - 1) == 1000)
        let expected = ElevenLabsAlignment.timings(characters: timings.chars.count, milliseconds: 1000)
        #expect(timings.starts == expected.starts && timings.durations == expected.durations)
    }

    @Test func compressedAudioAsksForNoMarksAndGetsNoTimings() {
        let (_, config) = Self.adapter(format: "mp3_44100_128")
        #expect(config?.marksPieces == false)
    }
}

/// The same through the real server over the tiny model: the engine's chunk marks reach the
/// adapter, the glue tells it each chunk's text, and the second chunk's first character starts
/// on a frame edge of the audio (80 ms: the first chunk's whole frames), not where a spread of
/// the turn's characters would put it.
@Suite(.serialized) struct ElevenLabsAlignmentEndToEndTests {
    @Test func theSecondChunkStartsWhereItsAudioStarts() throws {
        let fixture = try EngineServiceFixture { _ in }
        defer { fixture.stop() }
        let (response, connected) = try TestWebSocket.connect(
            port: fixture.port, path: "/v1/text-to-speech/alba/stream-input?output_format=pcm_24000", timeoutSeconds: 20)
        let client = try #require(connected, "status \(response.status)")
        try client.send(text: #"{"text":" "}"#)
        try client.send(text: #"{"text":"Hello big world. The river was calm today, and the boats went by. "}"#)
        try client.send(text: #"{"text":""}"#)
        var audioBytes = 0
        var timings: ElevenLabsAlignmentTests.Timings?
        while true {
            guard case .message(.text(let text)) = try client.receive() else { break }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            if let audio = object["audio"] as? String, let bytes = Data(base64Encoded: audio) { audioBytes += bytes.count }
            if let found = try ElevenLabsAlignmentTests.timings([.send(.text(text))]) { timings = found }
            if object["isFinal"] as? Bool == true { break }
        }
        let found = try #require(timings)
        let text = found.chars.joined()
        #expect(text == "Hello big world. The river was calm today, and the boats went by.")
        let second = try #require(text.firstIndex(of: "T")).utf16Offset(in: text)
        let totalMs = Int((Double(audioBytes) / 48).rounded())  // 24 kHz, 16-bit
        #expect(found.end(found.chars.count - 1) == totalMs)
        #expect(found.starts[second] > 0 && found.starts[second] % 80 == 0, "\(found.starts[second]) ms")
        #expect(found.end(second - 1) == found.starts[second])
    }
}
