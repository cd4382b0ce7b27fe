// ClientMessage.swift: one client text frame, parsed and checked.
//
//   {"type":"config","data":{...}}        -> .config(TurnConfig)
//   {"type":"text","data":{"text":"Hi "}} -> .text("Hi ")
//   {"type":"flush"} / {"type":"cancel"} / {"type":"ping"}

/// What a client asked for in one text frame.
public enum ClientMessage: Equatable, Sendable {
    /// Start a turn with these settings.
    case config(TurnConfig)
    /// Append text to the turn.
    case text(String)
    /// Speak the remaining text; `final` follows the last frame.
    case flush
    /// Stop the turn now and drop its queued audio.
    case cancel
    case ping

    /// The wire name of the message type.
    public var typeName: String {
        switch self {
        case .config: "config"
        case .text: "text"
        case .flush: "flush"
        case .cancel: "cancel"
        case .ping: "ping"
        }
    }

    /// Parses one text frame. Throws `.invalidJSON` (code `parse_error`) for text that is not
    /// JSON or exceeds `settings.jsonLimits` (size, nesting), and the other `ProtocolError`s for well-formed JSON that is not a valid message.
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
}
