// ProtocolError.swift: everything a client can get wrong, as one typed error with context.
// Each case maps to a wire `code` and a human-readable `message`; the session sends both in
// `{"type":"error","data":{"message":...,"code":...}}`.

/// A client-visible protocol failure. `code` is the wire code, `message` names the offending
/// key or value.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text frame is not valid JSON (`detail` says where). The session then closes.
    case invalidJSON(detail: String)
    /// Valid JSON, but not an object with a string "type".
    case notAMessageObject
    /// "type" names no message we know.
    case unknownType(String)
    /// A known message that is not valid now (`text` before `config`, ...).
    case unexpected(type: String, reason: String)
    /// A binary frame from the client: only JSON text frames are accepted.
    case binaryFrame
    /// A config value is missing its expected type or range; `key` is the JSON key.
    case invalidConfig(key: String, reason: String)
    /// A text message is malformed or over a limit.
    case invalidText(reason: String)
    /// The turn's SSML is malformed or over a bound (`SSMLDocument`); the turn ends, the session goes on.
    case invalidSSML(String)
    /// The requested voice is not loaded.
    case unknownVoice(String)
    /// The server cannot take another turn now; a retry after `retryAfterSeconds` may find room
    /// (HTTP's `Retry-After`, the native error's `retry_after`, in each protocol's message).
    case atCapacity(retryAfterSeconds: Int)
    /// The engine failed; `detail` is for logs and the client alike (no secrets in it).
    case internalError(detail: String)

    /// The wire codes.
    public enum Code: String, Sendable, CaseIterable {
        case parseError = "parse_error"
        case invalidType = "invalid_type"
        case invalidConfig = "invalid_config"
        case invalidText = "invalid_text"
        case invalidSSML = "invalid_ssml"
        case unknownVoice = "unknown_voice"
        case atCapacity = "at_capacity"
        case internalError = "internal_error"
    }

    public var code: Code {
        switch self {
        case .invalidJSON: .parseError
        case .notAMessageObject, .unknownType, .unexpected, .binaryFrame: .invalidType
        case .invalidConfig: .invalidConfig
        case .invalidText: .invalidText
        case .invalidSSML: .invalidSSML
        case .unknownVoice: .unknownVoice
        case .atCapacity: .atCapacity
        case .internalError: .internalError
        }
    }

    /// The config key at fault, for `.invalidConfig`.
    public var key: String? {
        if case .invalidConfig(let key, _) = self { return key }
        return nil
    }

    public var message: String {
        switch self {
        case .invalidJSON(let detail): "invalid JSON: \(detail)"
        case .notAMessageObject: "a message must be a JSON object with a string \"type\""
        case .unknownType(let type): "unknown message type \"\(type)\" (expected config, text, flush, cancel or ping)"
        case .unexpected(let type, let reason): "\"\(type)\" not allowed now: \(reason)"
        case .binaryFrame: "binary frames are not accepted: send JSON text frames"
        case .invalidConfig(let key, let reason): "invalid config: \(key) \(reason)"
        case .invalidText(let reason): "invalid text: \(reason)"
        case .invalidSSML(let reason): "invalid SSML: \(reason)"
        case .unknownVoice(let voice): "unknown voice \"\(voice.excerpt)\""
        case .atCapacity(let seconds): "server at capacity: try again in \(seconds) s"
        case .internalError(let detail): "internal error: \(detail)"
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// At capacity, retry after the default hint (`defaultRetryAfterSeconds`).
    public static var atCapacity: ProtocolError { .atCapacity(retryAfterSeconds: defaultRetryAfterSeconds) }

    /// The retry hint when nothing better is known: turns end every second or so on a busy
    /// server (a sentence is a few seconds of audio made several times faster than real time).
    public static let defaultRetryAfterSeconds = 1

    /// Seconds to wait before retrying, for `.atCapacity`.
    public var retryAfterSeconds: Int? {
        if case .atCapacity(let seconds) = self { return seconds }
        return nil
    }
}

extension String {
    /// At most the first 64 Unicode scalars, control characters as `\u{...}`, and "…" when cut:
    /// what an error message may quote of a client's input (a 100 KB voice name must not come
    /// back as a 100 KB error).
    public var excerpt: String {
        var view = String.UnicodeScalarView()
        for scalar in unicodeScalars.prefix(64) {
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                view.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            } else {
                view.append(scalar)
            }
        }
        return String(view) + (unicodeScalars.count > 64 ? "…" : "")
    }
}

extension ProtocolError {
    /// The WebSocket close code of a protocol that ends the socket on an error (Kyutai's,
    /// ElevenLabs'): 1013 at capacity (try again later), 1011 for our own failure, 1008 otherwise.
    var closeCode: UInt16 {
        switch self {
        case .atCapacity: 1013
        case .internalError: 1011
        default: SessionMachine.CloseCode.policyViolation
        }
    }
}
