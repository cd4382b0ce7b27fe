// ServerMessage.swift: what the server sends, and its exact wire form.
//
//   {"type":"event","data":{"event_type":"config_accepted","request_id":"..."}}
//   {"type":"event","data":{"event_type":"final","request_id":"..."}}
//   {"type":"audio","data":{"audio":"<base64>","sample_rate":24000,"format":"pcm"}}  (or a binary frame)
//   {"type":"error","data":{"message":"...","code":"invalid_config"}}
//   {"type":"error","data":{"message":"...","code":"at_capacity","retry_after":1}}  (seconds)
//   {"type":"pong"}
import Foundation

/// One message to a client.
public enum ServerMessage: Equatable, Sendable {
    case configAccepted(requestID: String)
    /// The last audio of the turn has been sent.
    case final(requestID: String)
    /// One encoded audio payload as a binary frame.
    case binaryAudio([UInt8])
    /// One encoded audio payload, base64 in a JSON `audio` message.
    case jsonAudio([UInt8], sampleRate: Int, format: AudioFormat)
    case error(ProtocolError)
    case pong

    /// The audio message for `payload` in the turn's chosen framing.
    public static func audio(_ payload: [UInt8], config: TurnConfig) -> ServerMessage {
        config.binary ? .binaryAudio(payload) : .jsonAudio(payload, sampleRate: config.sampleRate, format: config.format)
    }

    /// True for audio, which the session queues and paces; events go out at once.
    public var isAudio: Bool {
        switch self {
        case .binaryAudio, .jsonAudio: true
        default: false
        }
    }

    /// The WebSocket frame to send: binary audio as it is, everything else as JSON text.
    public var webSocketMessage: WebSocketMessage {
        switch self {
        case .binaryAudio(let payload):
            .binary(payload)
        case .configAccepted(let id):
            .text(Self.event("config_accepted", requestID: id))
        case .final(let id):
            .text(Self.event("final", requestID: id))
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
