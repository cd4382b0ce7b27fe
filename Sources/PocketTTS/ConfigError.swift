/// A config file that cannot be used, with the full dotted key path where there is one
/// (e.g. `mimi.seanet.ratioz: unknown key`).
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case invalidYAML(reason: String)
    case unknownKey(path: String)
    case missingKey(path: String)
    /// A value of the wrong type, e.g. a string where an integer is expected.
    case typeMismatch(path: String, expected: String)
    /// A value of the right type that the model cannot be built with.
    case invalidValue(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): "\(path): no such config file"
        case .unreadable(let path, let reason): "\(path): cannot read config: \(reason)"
        case .invalidYAML(let reason): "invalid YAML: \(reason)"
        case .unknownKey(let path): "\(path): unknown key"
        case .missingKey(let path): "\(path): missing key"
        case .typeMismatch(let path, let expected): "\(path): expected \(expected)"
        case .invalidValue(let path, let reason): "\(path): \(reason)"
        }
    }

    /// `flow_lm.transformer.d_model`, `mimi.seanet.ratios[1]`, or `<root>` for the empty path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text.isEmpty ? "<root>" : text
    }

    /// The config error a Swift decoding error stands for.
    static func from(_ error: DecodingError) -> ConfigError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingKey(path: path(context.codingPath + [key]))
        case .valueNotFound(let type, let context):
            return .typeMismatch(path: path(context.codingPath), expected: "a value of type \(type), not null")
        case .typeMismatch(let type, let context):
            return .typeMismatch(path: path(context.codingPath), expected: typeName(type))
        case .dataCorrupted(let context):
            // Yams wraps errors thrown inside `init(from:)` (our unknown-key errors) this way.
            if let underlying = context.underlyingError as? ConfigError { return underlying }
            if let underlying = context.underlyingError as? DecodingError { return from(underlying) }
            if context.codingPath.isEmpty {
                return .invalidYAML(reason: context.underlyingError.map { "\($0)" } ?? context.debugDescription)
            }
            return .typeMismatch(path: path(context.codingPath), expected: context.debugDescription)
        @unknown default:
            return .invalidYAML(reason: "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        default: "\(type)"
        }
    }
}

struct ConfigKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// The keyed container for `Keys`, after checking the mapping has no other key
    /// (pydantic's `extra="forbid"`).
    func strictContainer<Keys: CodingKey & CaseIterable>(keyedBy keys: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
        let known = Set(Keys.allCases.map(\.stringValue))
        let all = try container(keyedBy: ConfigKey.self).allKeys.map(\.stringValue).sorted()
        if let unknown = all.first(where: { !known.contains($0) }) {
            throw ConfigError.unknownKey(path: ConfigError.path(codingPath + [ConfigKey(stringValue: unknown)]))
        }
        return try container(keyedBy: Keys.self)
    }
}
