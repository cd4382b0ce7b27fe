import Foundation
import Testing
@testable import TTSServer

/// A client of Deepgram's /v1/speak written from the protocol: JSON out, JSON events and
/// binary audio in.
final class DeepgramTestClient {
    enum Message: Equatable {
        case metadata(model: String)
        case flushed(Int)
        case cleared(Int)
        case warning(code: String)
        case audio([UInt8])
        case close(code: UInt16)
    }

    let webSocket: TestWebSocket

    init(port: Int, query: String = "model=aura-2-alba-en&encoding=linear16&sample_rate=24000",
         headers: [String: String] = ["Authorization": "Token secret"]) throws {
        let (response, client) = try TestWebSocket.connect(port: port, path: "/v1/speak?\(query)", headers: headers,
                                                             timeoutSeconds: 10)  // a debug build, tests in parallel
        guard response.status == 101, let client else { throw TestClientError.malformed("status \(response.status)") }
        webSocket = client
    }

    func speak(_ text: String) throws {
        let quoted = String(decoding: try JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed]), as: UTF8.self)
        try webSocket.send(text: "{\"type\":\"Speak\",\"text\":\(quoted.dropFirst().dropLast())}")
    }
    func send(_ type: String) throws { try webSocket.send(text: "{\"type\":\"\(type)\"}") }

    func next() throws -> Message {
        switch try webSocket.receive() {
        case .close(let code, _): return .close(code: code)
        case .message(.binary(let bytes)): return .audio(bytes)
        case .message(.text(let text)):
            guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw TestClientError.malformed(text)
            }
            switch object["type"] as? String {
            case "Metadata":
                guard object["request_id"] is String, object["model_version"] is String, object["model_uuid"] is String else {
                    throw TestClientError.malformed(text)
                }
                return .metadata(model: object["model_name"] as? String ?? "")
            case "Flushed": return .flushed(object["sequence_id"] as? Int ?? -1)
            case "Cleared": return .cleared(object["sequence_id"] as? Int ?? -1)
            case "Warning":
                // Deepgram's SDK reads description/code; LiveKit's plugin warn_msg (and warn_code).
                guard let description = object["description"] as? String, object["warn_msg"] as? String == description,
                      let code = object["code"] as? String, object["warn_code"] as? String == code else {
                    throw TestClientError.malformed(text)
                }
                return .warning(code: code)
            default: throw TestClientError.malformed(text)
            }
        }
    }

    /// Audio up to the next non-audio message, and that message.
    func audio() throws -> (audio: [[UInt8]], then: Message) {
        var audio: [[UInt8]] = []
        while true {
            let message = try next()
            guard case .audio(let bytes) = message else { return (audio, message) }
            audio.append(bytes)
        }
    }
}

@Suite(.serialized) struct DeepgramProtocolTests {
    @Test func speakFlushTurnsOnOneSocketThenClose() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let client = try DeepgramTestClient(port: fixture.port)
        #expect(try client.next() == .metadata(model: "aura-2-alba-en"))
        try client.speak("Hello big world.")
        try client.send("Flush")
        let first = try client.audio()
        #expect(first.then == .flushed(0))
        #expect(!first.audio.isEmpty && first.audio.allSatisfy { $0.count == 1920 * 2 })

        // Word by word, the next turn sent before the first's audio is over: it waits for it.
        for word in ["Good", "morning."] { try client.speak(word) }
        try client.send("Flush")
        try client.speak("See you.")
        try client.send("Flush")
        try client.send("Close")
        let second = try client.audio()
        #expect(second.then == .flushed(1) && !second.audio.isEmpty)
        let third = try client.audio()
        #expect(third.then == .flushed(2) && !third.audio.isEmpty)
        #expect(try client.next() == .close(code: 1000))
    }

    @Test func muLawAtEightKilohertz() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let client = try DeepgramTestClient(port: fixture.port, query: "model=alba&encoding=mulaw&sample_rate=8000",
                                            headers: ["Authorization": "Bearer secret"])
        #expect(try client.next() == .metadata(model: "alba"))
        try client.speak("Good morning.")
        try client.send("Flush")
        let turn = try client.audio()
        #expect(turn.then == .flushed(0))
        // A byte a sample at 8 kHz: the turn's total is whole 80 ms frames of 640 samples, give or
        // take what the resampler holds back (its messages need not split at frames).
        let bytes = turn.audio.reduce(0) { $0 + $1.count }
        let frames = (bytes + 320) / 640
        #expect(frames > 1 && abs(bytes - 640 * frames) <= 160, "\(turn.audio.map(\.count))")
    }

    @Test func clearStopsTheTurnAndTheSocketGoesOn() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"]; $0.metricsAccess = .open }
        defer { fixture.stop() }
        let client = try DeepgramTestClient(port: fixture.port)
        #expect(try client.next() == .metadata(model: "aura-2-alba-en"))
        try client.speak("The river was calm today. It was very calm. The sky was blue and the birds were singing.")
        try client.send("Flush")
        guard case .audio = try client.next() else { Issue.record("no audio"); return }
        try client.send("Clear")
        let cleared = try client.audio()
        #expect(cleared.then == .cleared(0))  // some audio already on its way may come first; no Flushed
        try client.speak("Hello.")
        try client.send("Flush")
        let next = try client.audio()
        #expect(next.then == .flushed(1) && !next.audio.isEmpty)
        let metrics = try httpRequest(port: fixture.port, path: "/metrics").text
        #expect(metricValue(metrics, "pocket_tts_turns_total{outcome=\"cancelled\"}") == 1)
        #expect(metricValue(metrics, "pocket_tts_turns_total{outcome=\"completed\"}") == 1)
    }

    @Test func refusalsAndWarnings() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        #expect(try TestWebSocket.connect(port: fixture.port, path: "/v1/speak").response.status == 401)
        #expect(try TestWebSocket.connect(port: fixture.port, path: "/v1/speak", headers: ["Authorization": "Token wrong"]).response.status == 401)
        let bad = try TestWebSocket.connect(port: fixture.port, path: "/v1/speak?encoding=mp3", headers: ["Authorization": "Token secret"])
        #expect(bad.response.status == 400 && bad.response.text.contains("encoding"))
        for speed in ["9", "0.1", "fast", "nan"] {  // the SDKs send ?speed= (Deepgram's 0.7-1.5)
            let refused = try TestWebSocket.connect(port: fixture.port, path: "/v1/speak?speed=\(speed)", headers: ["Authorization": "Token secret"])
            #expect(refused.response.status == 400 && refused.response.text.contains("speed"))
        }

        let client = try DeepgramTestClient(port: fixture.port, query: "model=aura-2-zeus-en")
        #expect(try client.next() == .metadata(model: "aura-2-zeus-en"))
        #expect(try client.next() == .warning(code: "UNKNOWN_MODEL"))  // spoken in the default voice
        try client.webSocket.send(text: "{\"type\":\"Speak\",")  // malformed: a warning, the session goes on
        #expect(try client.next() == .warning(code: "INVALID_MESSAGE"))
        try client.send("Dance")
        #expect(try client.next() == .warning(code: "INVALID_MESSAGE"))
        try client.send("Flush")  // nothing to flush
        #expect(try client.next() == .flushed(0))
        try client.speak("Hi.")
        try client.send("Close")
        let last = try client.audio()
        #expect(last.then == .flushed(1) && !last.audio.isEmpty)
        #expect(try client.next() == .close(code: 1000))
    }

    /// The engine makes whole frames of 1920 samples; `speed=1.5` makes each 1280. A turn's
    /// length in frames is random (the tiny model's EOS, a seed per turn), so the test looks for
    /// a fast turn whose length is a multiple of 1280 but not of 1920 (M frames, M not a multiple
    /// of 3: unstretched audio never is), in up to 10 turns; every turn is a multiple of 1280.
    @Test func speedQueryStretchesTheTurn() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        func turns(speed: Double, upTo count: Int, until done: (Int) -> Bool) throws -> [Int] {
            let client = try DeepgramTestClient(port: fixture.port, query: "model=aura-2-alba-en&speed=\(speed)")
            #expect(try client.next() == .metadata(model: "aura-2-alba-en"))
            var lengths: [Int] = []
            for flush in 0..<count {
                try client.speak("Hello there, how are you today?")
                try client.send("Flush")
                let turn = try client.audio()
                #expect(turn.then == .flushed(flush))
                lengths.append(turn.audio.reduce(0) { $0 + $1.count } / 2)
                if done(lengths.last!) { break }
            }
            return lengths
        }
        let normal = try turns(speed: 1, upTo: 1) { _ in true }
        #expect(normal.allSatisfy { $0 >= 4 * 1920 && $0 % 1920 == 0 }, "\(normal)")
        let fast = try turns(speed: 1.5, upTo: 10) { $0 % 1920 != 0 }
        #expect(fast.allSatisfy { $0 >= 4 * 1280 && $0 % 1280 == 0 }, "\(fast)")
        #expect(fast.contains { $0 % 1920 != 0 }, "\(fast)")
    }
}
