import Testing
@testable import TTSServer

private let settings = ProtocolSettings(defaultVoice: "alba", maxTextMessageCharacters: 20, maxTurnTextCharacters: 50,
                                        maxLSDDecodeSteps: 8, maxTokensPerChunk: 100)

private func parse(_ frame: String) throws(ProtocolError) -> ClientMessage {
    try NativeAdapter.parse(frame, settings: settings)
}

private func config(_ data: String) throws(ProtocolError) -> TurnConfig {
    guard case .config(let config) = try parse("{\"type\":\"config\",\"data\":\(data)}") else {
        throw .internalError(detail: "not a config")
    }
    return config
}

/// The error `body` throws (nil if it does not throw).
private func error(_ body: () throws -> Void) -> ProtocolError? {
    do { try body() } catch let error as ProtocolError { return error } catch { return .internalError(detail: "\(error)") }
    return nil
}

@Suite struct ClientMessageTests {
    @Test func simpleMessages() throws {
        #expect(try parse("{\"type\":\"flush\"}") == .flush)
        #expect(try parse("{\"type\":\"cancel\"}") == .cancel)
        #expect(try parse(" {\"type\" : \"ping\", \"extra\": [1, 2]} ") == .ping)
        #expect(try parse("{\"type\":\"text\",\"data\":{\"text\":\"Hello \\\"you\\\"\\n\"}}") == .text("Hello \"you\"\n"))
        #expect(try parse("{\"type\":\"text\",\"data\":{\"text\":\"\"}}") == .text(""))
    }

    @Test func invalidJSONIsAParseError() {
        for frame in ["", "{", "{\"type\":\"ping\"", "hello", "{\"type\": tru}", "1e999"] {
            let e = error { _ = try parse(frame) }
            #expect(e?.code == .parseError, "frame \(frame.debugDescription)")
        }
    }

    @Test func wellFormedJSONWithoutAStringTypeIsInvalidType() {
        for frame in ["[1]", "\"ping\"", "{}", "{\"type\":3}", "{\"data\":{}}", "null"] {
            #expect(error { _ = try parse(frame) } == .notAMessageObject, "frame \(frame)")
        }
        let e = error { _ = try parse("{\"type\":\"speak\"}") }
        #expect(e == .unknownType("speak"))
        #expect(e?.code == .invalidType)
        #expect(e?.message.contains("speak") == true)
    }

    @Test func malformedTextIsInvalidText() {
        for frame in ["{\"type\":\"text\"}", "{\"type\":\"text\",\"data\":{\"text\":5}}",
                      "{\"type\":\"text\",\"data\":\"hi\"}", "{\"type\":\"text\",\"text\":\"hi\"}"] {
            #expect(error { _ = try parse(frame) }?.code == .invalidText, "frame \(frame)")
        }
    }

    @Test func textOverTheMessageLimitIsInvalidText() throws {
        let ok = String(repeating: "é", count: 20)  // 20 scalars, 40 bytes
        #expect(try parse("{\"type\":\"text\",\"data\":{\"text\":\"\(ok)\"}}") == .text(ok))
        let e = error { _ = try parse("{\"type\":\"text\",\"data\":{\"text\":\"\(ok)x\"}}") }
        #expect(e?.code == .invalidText)
        #expect(e?.message.contains("21") == true)
    }

    @Test func configDefaults() throws {
        let expected = TurnConfig(voice: "alba")
        #expect(try parse("{\"type\":\"config\"}") == .config(expected))
        #expect(try config("{}") == expected)
        #expect(expected.sampleRate == 24000 && expected.format == .pcm && expected.binary)
        #expect(expected.temperature == nil && expected.lsdDecodeSteps == 1 && expected.eosThreshold == nil)
        #expect(expected.noiseClamp == nil && expected.seed == nil && expected.maxTokens == 50 && expected.speed == 1)
    }

    @Test func configAllKeys() throws {
        let c = try config("""
            {"voice":"marius","sample_rate":16000,"format":"opus","binary":false,"temperature":0,
             "lsd_decode_steps":4,"eos_threshold":-2.5,"noise_clamp":3,"seed":12345,"max_tokens":100,
             "max_buffer_delay_ms":250,"normalize":true,"speed":1.25,"pauses":[1],"language":"en"}
            """)
        var expected = TurnConfig(voice: "marius")
        expected.sampleRate = 16000
        expected.format = .opus
        expected.binary = false
        expected.temperature = 0
        expected.lsdDecodeSteps = 4
        expected.eosThreshold = -2.5
        expected.noiseClamp = 3
        expected.seed = 12345
        expected.maxTokens = 100
        expected.maxBufferDelayMs = 250
        expected.speed = 1.25
        expected.voiceGiven = true
        expected.language = "en"
        #expect(c == expected)
    }

    @Test func everyFormatName() throws {
        for format in ProtocolSettings.nativeFormats {  // mp3 is the HTTP API's only
            #expect(try config("{\"format\":\"\(format.rawValue)\"}").format == format)
        }
        var http = ProtocolSettings()
        http.extraFormats = [.mp3, .flac]
        #expect(try TurnConfig.parse(["format": .string("mp3")], settings: http).format == .mp3)
        #expect(try TurnConfig.parse(["format": .string("flac")], settings: http).format == .flac)
        #expect(AudioFormat(rawValue: "pcm_f32") == .pcmF32)
    }

    @Test func nullMeansDefaultAndIntegralFloatsAreIntegers() throws {
        let c = try config("{\"voice\":null,\"noise_clamp\":null,\"seed\":null,\"sample_rate\":8000.0}")
        #expect(c.voice == "alba" && c.noiseClamp == nil && c.seed == nil && c.sampleRate == 8000)
    }

    @Test(arguments: [
        ("voice", "5"), ("voice", "\"\""), ("sample_rate", "7999"), ("sample_rate", "48001"), ("sample_rate", "24000.5"),
        ("sample_rate", "\"24000\""), ("format", "\"mp3\""), ("format", "1"), ("binary", "1"), ("binary", "\"true\""),
        ("temperature", "-0.1"), ("temperature", "\"hot\""), ("lsd_decode_steps", "0"), ("lsd_decode_steps", "9"),
        ("lsd_decode_steps", "1.5"), ("eos_threshold", "\"x\""), ("noise_clamp", "0"), ("noise_clamp", "-1"),
        ("seed", "-1"), ("seed", "1.5"), ("seed", "\"7\""), ("max_tokens", "0"), ("max_tokens", "101"),
        ("temperature", "1e300"), ("max_buffer_delay_ms", "-1"), ("max_buffer_delay_ms", "10001"),
        ("max_buffer_delay_ms", "0.5"), ("format", "\"flac\""), ("speed", "0.2"), ("speed", "4.5"), ("speed", "\"fast\""),
    ])
    func invalidConfigNamesTheKey(key: String, value: String) {
        let e = error { _ = try config("{\"\(key)\":\(value)}") }
        #expect(e?.code == .invalidConfig)
        #expect(e?.key == key)
        #expect(e?.message.contains(key) == true)
    }

    @Test func opusNeedsAnOpusRate() throws {
        let e = error { _ = try config("{\"format\":\"opus\",\"sample_rate\":22050}") }
        #expect(e?.key == "sample_rate")
        #expect(try config("{\"format\":\"opus\",\"sample_rate\":48000}").sampleRate == 48000)
        #expect(try config("{\"format\":\"ogg\",\"sample_rate\":22050}").sampleRate == 22050)
        #expect(try config("{\"format\":\"wav\",\"sample_rate\":22050}").sampleRate == 22050)
    }

    @Test func configDataMustBeAnObject() {
        let e = error { _ = try parse("{\"type\":\"config\",\"data\":[1]}") }
        #expect(e?.key == "data")
    }

    @Test func errorCodesOnTheWire() {
        #expect(ProtocolError.invalidJSON(detail: "x").code.rawValue == "parse_error")
        #expect(ProtocolError.binaryFrame.code.rawValue == "invalid_type")
        #expect(ProtocolError.invalidConfig(key: "k", reason: "r").code.rawValue == "invalid_config")
        #expect(ProtocolError.invalidText(reason: "r").code.rawValue == "invalid_text")
        #expect(ProtocolError.unknownVoice("v").code.rawValue == "unknown_voice")
        #expect(ProtocolError.atCapacity.code.rawValue == "at_capacity")
        #expect(ProtocolError.internalError(detail: "d").code.rawValue == "internal_error")
    }
}

