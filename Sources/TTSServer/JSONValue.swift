// JSONValue.swift: a JSON document as a plain value (decoding keeps booleans, integers and other
// numbers apart), and the string quoting used to write server messages.
import Foundation

/// Any JSON value. Integral numbers (also `24000.0`) decode as `.integer`.
public enum JSONValue: Equatable, Sendable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int64.self) { self = .integer(value); return }
        if let value = try? container.decode(Double.self) { self = .number(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([JSONValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: JSONValue].self))
    }

    /// Parses one JSON document from a client; any failure is `.invalidJSON`. `limits` are
    /// checked first (the decoder traps on deep nesting: see JSONLimits).
    public static func parse(_ text: String, limits: JSONLimits = JSONLimits()) throws(ProtocolError) -> JSONValue {
        try limits.check(text.utf8)
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            if let surrogate = loneSurrogate(in: text) {
                throw .invalidJSON(detail: "\\u\(surrogate) is half of a UTF-16 surrogate pair: a string may not hold it alone")
            }
            throw .invalidJSON(detail: "the frame is not a JSON document")
        }
    }

    /// The hex digits of the first `\uD800`-`\uDFFF` escape not in a high-low pair, if any.
    static func loneSurrogate(in text: String) -> String? {
        let bytes = Array(text.utf8)
        func unit(at i: Int) -> UInt16? {
            guard i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { return nil }
            return UInt16(String(decoding: bytes[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16)
        }
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] != UInt8(ascii: "u") {
                i += 2  // another escape, a backslash's included
                continue
            }
            guard let value = unit(at: i) else {
                i += 1
                continue
            }
            if (0xD800...0xDBFF).contains(value), let low = unit(at: i + 6), (0xDC00...0xDFFF).contains(low) {
                i += 12
                continue
            }
            if (0xD800...0xDFFF).contains(value) { return String(decoding: bytes[(i + 2)..<(i + 6)], as: UTF8.self) }
            i += 6
        }
        return nil
    }

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// A number as written, otherwise the type name: for "got ..." in error messages.
    public var brief: String {
        switch self {
        case .integer(let value): "\(value)"
        case .number(let value): "\(value)"
        default: typeName
        }
    }

    /// The value as a Double when it is any number.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}

/// `text` as a JSON string literal, quotes included, for server messages: Foundation's
/// `JSONEncoder` (the same library that parses client messages), slashes left as they are.
func jsonQuoted(_ text: String) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .withoutEscapingSlashes
    guard let data = try? encoder.encode(text) else { preconditionFailure("JSONEncoder cannot encode a String") }
    return String(decoding: data, as: UTF8.self)
}

extension JSONValue {
    /// The value as compact JSON text, object keys sorted (server messages built as values, e.g.
    /// Wyoming's). A number that JSON cannot hold (NaN, ±infinity) is written as null.
    public var jsonText: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): "\(value)"
        case .number(let value): value.isFinite ? "\(value)" : "null"
        case .string(let value): jsonQuoted(value)
        case .array(let values): "[" + values.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.keys.sorted().map { jsonQuoted($0) + ":" + members[$0]!.jsonText }.joined(separator: ",") + "}"
        }
    }
}
