import Foundation
import Testing
import PocketTTS
@testable import TTSServer

/// The JSON object of a text message.
private func object(_ message: ServerMessage) throws -> [String: JSONValue] {
    guard case .text(let text) = NativeAdapter.frame(message) else { throw ProtocolError.binaryFrame }
    guard case .object(let object) = try JSONValue.parse(text) else { throw ProtocolError.notAMessageObject }
    return object
}

@Suite struct NativeAdapterTests {
    @Test func events() throws {
        #expect(try object(.configAccepted(requestID: "r1")) == [
            "type": .string("event"),
            "data": .object(["event_type": .string("config_accepted"), "request_id": .string("r1")]),
        ])
        #expect(try object(.final(requestID: "a\"b")) == [
            "type": .string("event"),
            "data": .object(["event_type": .string("final"), "request_id": .string("a\"b")]),
        ])
        #expect(NativeAdapter.frame(.pong) == .text("{\"type\":\"pong\"}"))
    }

    @Test func errorCarriesCodeAndMessage() throws {
        let e = ProtocolError.invalidConfig(key: "sample_rate", reason: "must be \"x\"\n")
        #expect(try object(.error(e)) == [
            "type": .string("error"),
            "data": .object(["message": .string(e.message), "code": .string("invalid_config")]),
        ])
    }

    @Test func audioBinaryOrBase64() throws {
        let payload: [UInt8] = [0, 1, 2, 250, 255, 128]
        var config = TurnConfig(voice: "alba")
        #expect(NativeAdapter.frame(.audio(payload, config: config)) == .binary(payload))
        config.binary = false
        config.format = .mulaw
        config.sampleRate = 8000
        let json = try object(.audio(payload, config: config))
        #expect(json["type"] == .string("audio"))
        guard case .object(let data)? = json["data"], case .string(let b64)? = data["audio"] else {
            Issue.record("no data.audio")
            return
        }
        #expect(Data(base64Encoded: b64).map(Array.init) == payload)
        #expect(data["sample_rate"] == .integer(8000))
        #expect(data["format"] == .string("mulaw"))
    }

    // MARK: receiving (bytes in, typed messages out)

    private static func adapter(_ settings: ProtocolSettings = ProtocolSettings()) -> NativeAdapter {
        NativeAdapter(request: HTTPRequest(method: "GET", path: "/tts/ws"), context: WireContext(settings: settings, voices: ["alba"]))
    }

    @Test func messagesGoToTheMachineTyped() {
        var adapter = Self.adapter()
        #expect(adapter.receive(.text("{\"type\":\"text\",\"data\":{\"text\":\"Hi. \"}}"), state: .streaming) == [.machine(.text("Hi. "))])
        #expect(adapter.receive(.text("{\"type\":\"flush\"}"), state: .streaming) == [.machine(.flush)])
        #expect(adapter.receive(.text("{\"type\":\"ping\"}"), state: .awaitingConfig) == [.machine(.ping)])
        guard case .machine(.config(let config))? = adapter.receive(.text("{\"type\":\"config\",\"data\":{\"voice\":\"alba\",\"format\":\"wav\"}}"),
                                                                    state: .awaitingConfig).first else {
            Issue.record("no config")
            return
        }
        #expect(config.voice == "alba" && config.format == .wav && config.voiceGiven)
    }

    @Test func anInvalidConfigIsAnsweredWithoutTheMachine() throws {
        var adapter = Self.adapter()
        let steps = adapter.receive(.text("{\"type\":\"config\",\"data\":{\"sample_rate\":1}}"), state: .awaitingConfig)
        guard case .report(let error)? = steps.first, steps.count == 2, case .send(.text(let frame)) = steps[1] else {
            Issue.record("\(steps)")
            return
        }
        #expect(error.code == .invalidConfig)
        #expect(frame.contains("\"code\":\"invalid_config\""))
    }

    @Test func aBinaryFrameIsRefusedWithoutClosing() {
        var adapter = Self.adapter()
        #expect(adapter.receive(.binary([1, 2]), state: .streaming)
            == [.report(.binaryFrame), .send(NativeAdapter.frame(.error(.binaryFrame)))])
    }

    @Test func invalidJSONSendsParseErrorAndCloses() {
        var adapter = Self.adapter()
        let steps = adapter.receive(.text("{nope"), state: .streaming)
        guard case .report(let error)? = steps.first else { Issue.record("\(steps)"); return }
        #expect(error.code == .parseError)
        #expect(steps.count == 3 && steps.last == .close(code: 1008, reason: "invalid JSON"))
        // The host closes the machine with it: the turn is cancelled, nothing is sent twice.
        var machine = SessionMachine(configuration: .init(voices: ["alba"]), random: SystemRandomNumberGenerator(), now: 0)
        _ = machine.onMessage(.config(TurnConfig(voice: "alba")), now: 1)
        #expect(machine.closing(nil, code: 1008, reason: "invalid JSON") == [.cancelTurn(turn: 1), .close(code: 1008, reason: "invalid JSON")])
        #expect(machine.state == .closed)
    }

    @Test func anOversizedTextMessageIsRefused() {
        var adapter = Self.adapter(ProtocolSettings(maxTextMessageCharacters: 4))
        guard case .report(let error)? = adapter.receive(.text("{\"type\":\"text\",\"data\":{\"text\":\"Hello\"}}"), state: .streaming).first else {
            Issue.record("not refused")
            return
        }
        #expect(error.code == .invalidText)
    }

    @Test func quotingEscapesControlCharacters() throws {
        let text = "tab\t nl\n cr\r bell\u{7} quote\" backslash\\ é 😀"
        #expect(try JSONValue.parse(jsonQuoted(text)) == .string(text))
        #expect(jsonQuoted("\u{1}") == "\"\\u0001\"")
    }
}
