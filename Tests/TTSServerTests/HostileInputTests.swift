import Foundation
import Testing
@testable import TTSServer

/// Frames a hostile or careless client may send, each with the answer it must get. Before the
/// JSON limits, the first two killed the process (Foundation's decoder traps at 513 levels).
enum HostileCorpus {
    static let settings = ProtocolSettings()

    /// Frames that must be refused as `parse_error` (the session then closes, 1008).
    static let parseErrors: [(name: String, frame: String)] = [
        ("513 [", String(repeating: "[", count: 513)),
        ("[{\"a\": ×256 then [", String(repeating: "[{\"a\":", count: 256) + "["),
        ("100,000 [", String(repeating: "[", count: 100_000)),
        ("{\"a\": ×20,000", String(repeating: "{\"a\":", count: 20_000)),
        ("33 closed arrays", String(repeating: "[", count: 33) + String(repeating: "]", count: 33)),
        ("deep inside a message", "{\"type\":\"config\",\"data\":{\"x\":" + String(repeating: "[", count: 600) + "}}"),
        ("deep after a string with an escaped quote", "{\"a\":\"\\\"\"," + String(repeating: "[", count: 513)),
        ("closes first", String(repeating: "]", count: 600) + String(repeating: "[", count: 600)),
        ("NaN", "{\"type\":\"config\",\"data\":{\"temperature\":NaN}}"),
        ("Infinity", "{\"type\":\"config\",\"data\":{\"seed\":Infinity}}"),
        ("-Infinity", "{\"type\":\"config\",\"data\":{\"eos_threshold\":-Infinity}}"),
        ("unterminated string", "{\"type\":\"text\",\"data\":{\"text\":\"\\"),
        ("lone surrogate escape", "{\"type\":\"text\",\"data\":{\"text\":\"\\ud800\"}}x"),
        ("1e999", "1e999"),
        ("a control character", "{\"type\":\"ping\"}\u{0}"),
    ]

    /// Well-formed JSON with values out of range: `invalid_config` naming the key, session goes on.
    static let invalidConfigs: [(key: String, data: String)] = [
        ("sample_rate", "{\"sample_rate\":1e300}"),
        ("sample_rate", "{\"sample_rate\":-1e300}"),
        ("sample_rate", "{\"sample_rate\":24000.5}"),
        ("sample_rate", "{\"sample_rate\":99999999999999999999999}"),
        ("seed", "{\"seed\":-1}"),
        ("seed", "{\"seed\":1e300}"),
        ("seed", "{\"seed\":18446744073709551615}"),
        ("max_tokens", "{\"max_tokens\":1e20}"),
        ("max_tokens", "{\"max_tokens\":9223372036854775807}"),
        ("max_tokens", "{\"max_tokens\":-9223372036854775808}"),
        ("lsd_decode_steps", "{\"lsd_decode_steps\":1000000000}"),
        ("temperature", "{\"temperature\":1e300}"),
        ("temperature", "{\"temperature\":-0.1}"),
        ("eos_threshold", "{\"eos_threshold\":-1e300}"),
        ("noise_clamp", "{\"noise_clamp\":1e-300}"),
        ("noise_clamp", "{\"noise_clamp\":0}"),
        ("voice", "{\"voice\":\"\(String(repeating: "v", count: 129))\"}"),
        ("voice", "{\"voice\":\"\"}"),
        ("format", "{\"format\":\"\(String(repeating: "x", count: 5000))\"}"),
        ("binary", "{\"binary\":\"yes\"}"),
    ]

    /// Frames that parse into a message whatever they carry.
    static let accepted: [(name: String, frame: String, message: ClientMessage)] = [
        ("32 levels", "{\"type\":\"ping\",\"x\":" + String(repeating: "[", count: 31) + String(repeating: "]", count: 31) + "}", .ping),
        ("brackets inside a string", "{\"type\":\"text\",\"data\":{\"text\":\"" + String(repeating: "[{", count: 2000) + "\"}}",
         .text(String(repeating: "[{", count: 2000))),
        ("escaped quotes and backslashes", "{\"type\":\"text\",\"data\":{\"text\":\"\\\\\\\"[[[\\\\\"}}", .text("\\\"[[[\\")),
        ("a hostile voice name", "{\"type\":\"config\",\"data\":{\"voice\":\"../../etc/passwd\"}}",
         .config({ var config = TurnConfig(voice: "../../etc/passwd"); config.voiceGiven = true; return config }())),
    ]
}

@Suite struct HostileInputTests {
    @Test func deepOrMalformedJSONIsAParseErrorNotACrash() {
        for (name, frame) in HostileCorpus.parseErrors {
            do {
                _ = try NativeAdapter.parse(frame, settings: HostileCorpus.settings)
                Issue.record("\(name): parsed")
            } catch {
                #expect(error.code == .parseError, "\(name): \(error)")
            }
        }
    }

    @Test func theDepthLimitNamesItself() throws {
        let error = #expect(throws: ProtocolError.self) {
            _ = try NativeAdapter.parse(String(repeating: "[", count: 513), settings: HostileCorpus.settings)
        }
        #expect(error?.message.contains("nested deeper than 32 levels") == true)
        let shallow = ProtocolSettings(jsonLimits: JSONLimits(maxDepth: 2))
        #expect(throws: ProtocolError.self) { _ = try NativeAdapter.parse("{\"type\":\"ping\",\"x\":[[]]}", settings: shallow) }
        #expect(try NativeAdapter.parse("{\"type\":\"ping\",\"x\":[]}", settings: shallow) == .ping)
        let small = ProtocolSettings(jsonLimits: JSONLimits(maxBytes: 16))
        #expect(throws: ProtocolError.invalidJSON(detail: "the document is larger than 16 bytes")) {
            _ = try NativeAdapter.parse("{\"type\":\"ping\"}  ", settings: small)
        }
    }

    @Test func outOfRangeNumbersAreInvalidConfig() {
        for (key, data) in HostileCorpus.invalidConfigs {
            do {
                let message = try NativeAdapter.parse("{\"type\":\"config\",\"data\":\(data)}", settings: HostileCorpus.settings)
                Issue.record("\(data): accepted as \(message)")
            } catch {
                #expect(error.code == .invalidConfig && error.key == key, "\(data): \(error)")
                #expect(error.message.utf8.count < 400, "\(data): the error echoes too much")
            }
        }
    }

    @Test func framesThatMustStillParse() throws {
        for (name, frame, message) in HostileCorpus.accepted {
            #expect(try NativeAdapter.parse(frame, settings: HostileCorpus.settings) == message, "\(name)")
        }
    }

    @Test func echoedNamesAreCut() {
        let type = String(repeating: "t", count: 10_000)
        do {
            _ = try NativeAdapter.parse("{\"type\":\"\(type)\"}", settings: HostileCorpus.settings)
        } catch {
            #expect(error.code == .invalidType && error.message.utf8.count < 200)
        }
    }

    /// Every encoder takes frames of NaN, infinities and huge values (a config may ask for a
    /// temperature of 1e38) without trapping.
    @Test func encodersTakeNonFiniteAudio() throws {
        let frame: [Float] = (0..<1920).map { i in [Float.nan, .infinity, -.infinity, 3e38, -3e38, 0.5][i % 6] }
        for format in AudioFormat.allCases {
            for rate in format == .opus ? [8000, 48000] : [8000, 24000, 44100] {
                let encoder = try makeAudioEncoder(format: format, sampleRate: rate)
                _ = try encoder.encode(frame)
                _ = try encoder.encode(frame)
                _ = try encoder.finish()
            }
        }
    }

    /// The frame that used to kill the process, through the real server: its session gets
    /// `parse_error` and a 1008 close; a session beside it goes on.
    @Test func aDeepFrameClosesOnlyItsSession() throws {
        let service = try startService(engine: FakeSpeechEngine())
        defer { service.stop() }
        let port = try #require(service.port)
        let bystander = try TTSTestClient.connect(port: port)
        for (_, frame) in HostileCorpus.parseErrors where frame.utf8.count <= service.config.maxMessageBytes {
            let client = try TTSTestClient.connect(port: port)
            try client.send(frame)
            guard case .error(code: "parse_error", _) = try client.next() else { Issue.record("no parse_error"); return }
            #expect(try client.expectClose().code == 1008)
        }
        try bystander.send("{\"type\":\"ping\"}")
        #expect(try bystander.next() == .pong)
    }
}
