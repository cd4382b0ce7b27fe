// NativeAdapter.swift: our own JSON protocol (README "Protocol"), `/tts/ws` (configurable).
// Its parsing and rendering live here; the session machine sees only typed messages.
//
//   client: {"type":"config","data":{...}}        -> .config(TurnConfig)
//           {"type":"text","data":{"text":"Hi "}} -> .text("Hi ")
//           {"type":"flush"} / {"type":"cancel"} / {"type":"ping"}
//   server: {"type":"event","data":{"event_type":"config_accepted","request_id":"..."}}
//           {"type":"event","data":{"event_type":"final","request_id":"..."}}
//           {"type":"audio","data":{"audio":"<base64>","sample_rate":24000,"format":"pcm"}}  (or a binary frame)
//           {"type":"error","data":{"message":"...","code":"invalid_config"}}
//           {"type":"error","data":{"message":"...","code":"at_capacity","retry_after":1}}  (seconds)
//           {"type":"pong"}
//
// A message that is not valid JSON (or exceeds `max_message_bytes` / the nesting bound) is
// answered with `parse_error` and the session closes (1008); any other invalid message, and a
// binary frame, is answered with its error and the session goes on.
import Foundation

public struct NativeAdapter: WireAdapter {
    let settings: ProtocolSettings

    public init(request: HTTPRequest, context: WireContext) {
        settings = context.settings
    }

    public mutating func receive(_ message: WebSocketMessage, state: SessionMachine.State) -> [WireStep] {
        switch message {
        case .binary:
            return Self.refusing(.binaryFrame)
        case .text(let text):
            do {
                return [.machine(try Self.parse(text, settings: settings))]
            } catch .invalidJSON(let detail) {
                return Self.refusing(.invalidJSON(detail: detail)) + [.close(code: SessionMachine.CloseCode.policyViolation, reason: "invalid JSON")]
            } catch {
                return Self.refusing(error)
            }
        }
    }

    public mutating func outgoing(_ message: ServerMessage, state: SessionMachine.State) -> [WireStep] {
        [.send(Self.frame(message))]
    }

    /// The error message for a frame the adapter refuses, counted as the machine's errors are.
    private static func refusing(_ error: ProtocolError) -> [WireStep] {
        [.report(error), .send(frame(.error(error)))]
    }

    // MARK: Parsing

    /// Parses one text frame. Throws `.invalidJSON` (code `parse_error`) for text that is not
    /// JSON or exceeds `settings.jsonLimits` (size, nesting), and the other `ProtocolError`s for
    /// well-formed JSON that is not a valid message.
    public static func parse(_ frame: String, settings: ProtocolSettings) throws(ProtocolError) -> ClientMessage {
        guard case .object(let message) = try JSONValue.parse(frame, limits: settings.jsonLimits),
              case .string(let type)? = message["type"]
        else { throw .notAMessageObject }
        switch type {
        case "config":
            switch message["data"] {
            case nil, .null?: return .config(try TurnConfig.parse([:], settings: settings))
            case .object(let data)?: return .config(try TurnConfig.parse(data, settings: settings))
            case let other?: throw .invalidConfig(key: "data", reason: "must be an object (got \(other.typeName))")
            }
        case "text":
            guard case .object(let data)? = message["data"], case .string(let text)? = data["text"] else {
                throw .invalidText(reason: "expected {\"type\":\"text\",\"data\":{\"text\":\"...\"}}")
            }
            let length = text.unicodeScalars.count
            guard length <= settings.maxTextMessageCharacters else {
                throw .invalidText(reason: "\(length) characters in one message, limit \(settings.maxTextMessageCharacters)")
            }
            return .text(text)
        case "flush": return .flush
        case "cancel": return .cancel
        case "ping": return .ping
        default: throw .unknownType(String(type.unicodeScalars.prefix(64)))  // echoed: keep it short
        }
    }

    // MARK: Rendering

    /// The frame of a message: binary audio as it is, everything else as JSON text.
    public static func frame(_ message: ServerMessage) -> WebSocketMessage {
        switch message {
        case .binaryAudio(let payload):
            .binary(payload)
        case .configAccepted(let id):
            .text(event("config_accepted", requestID: id))
        case .final(let id):
            .text(event("final", requestID: id))
        case .jsonAudio(let payload, let rate, let format):
            .text("{\"type\":\"audio\",\"data\":{\"audio\":\"\(Data(payload).base64EncodedString())\","
                + "\"sample_rate\":\(rate),\"format\":\(jsonQuoted(format.rawValue))}}")
        case .error(let error):
            .text("{\"type\":\"error\",\"data\":{\"message\":\(jsonQuoted(error.message)),"
                + "\"code\":\(jsonQuoted(error.code.rawValue))\(error.retryAfterSeconds.map { ",\"retry_after\":\($0)" } ?? "")}}")
        case .pong:
            .text("{\"type\":\"pong\"}")
        }
    }

    private static func event(_ type: String, requestID: String) -> String {
        "{\"type\":\"event\",\"data\":{\"event_type\":\(jsonQuoted(type)),\"request_id\":\(jsonQuoted(requestID))}}"
    }
}
