import Foundation
import Testing
import PocketTTS
@testable import TTSServer

/// The JSON object of a text message.
private func object(_ message: ServerMessage) throws -> [String: JSONValue] {
    guard case .text(let text) = message.webSocketMessage else { throw ProtocolError.binaryFrame }
    guard case .object(let object) = try JSONValue.parse(text) else { throw ProtocolError.notAMessageObject }
    return object
}

@Suite struct ServerMessageTests {
    @Test func events() throws {
        #expect(try object(.configAccepted(requestID: "r1")) == [
            "type": .string("event"),
            "data": .object(["event_type": .string("config_accepted"), "request_id": .string("r1")]),
        ])
        #expect(try object(.final(requestID: "a\"b")) == [
            "type": .string("event"),
            "data": .object(["event_type": .string("final"), "request_id": .string("a\"b")]),
        ])
        #expect(ServerMessage.pong.webSocketMessage == .text("{\"type\":\"pong\"}"))
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
        #expect(ServerMessage.audio(payload, config: config).webSocketMessage == .binary(payload))
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

    @Test func quotingEscapesControlCharacters() throws {
        let text = "tab\t nl\n cr\r bell\u{7} quote\" backslash\\ é 😀"
        #expect(try JSONValue.parse(jsonQuoted(text)) == .string(text))
        #expect(jsonQuoted("\u{1}") == "\"\\u0001\"")
    }
}
