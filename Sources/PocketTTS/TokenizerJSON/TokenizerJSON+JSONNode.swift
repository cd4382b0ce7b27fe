// Typed access to the parsed tokenizer.json, each value knowing where it sits in the file
// ("normalizer.normalizers[1].pattern"), so that every load error names the place.

extension TokenizerJSON {
    /// Why a tokenizer.json cannot be read; `TokenizerJSON.init` turns it into a `TokenizerError`.
    enum FormatError: Error {
        /// Malformed: not JSON, a missing or mistyped field.
        case invalid(location: String, message: String)
        /// A component (`"type": ...`) or option this reader does not implement.
        case unsupported(location: String, type: String)
    }

    /// A JSON value and its location in the file.
    struct JSONNode {
        let value: JSONValue
        let location: String

        func invalid(_ message: String) -> FormatError { .invalid(location: location, message: message) }

        /// The member `key`, nil when absent or null (serde reads both as `None`).
        func optional(_ key: String) -> JSONNode? {
            guard case .object(let members) = value,
                  let member = members.last(where: { $0.key.utf8.elementsEqual(key.utf8) }) else { return nil }
            if case .null = member.value { return nil }
            return JSONNode(value: member.value, location: location.isEmpty ? key : "\(location).\(key)")
        }

        func required(_ key: String) throws(FormatError) -> JSONNode {
            guard let node = optional(key) else { throw invalid("missing \"\(key)\"") }
            return node
        }

        func string() throws(FormatError) -> String {
            guard case .string(let text) = value else { throw invalid("expected a string") }
            return text
        }

        func bool() throws(FormatError) -> Bool {
            guard case .bool(let flag) = value else { throw invalid("expected true or false") }
            return flag
        }

        func double() throws(FormatError) -> Double {
            guard case .number(let number) = value else { throw invalid("expected a number") }
            return number
        }

        /// A non-negative integer (ids, counts).
        func int() throws(FormatError) -> Int {
            let number = try double()
            guard number >= 0, number < 0x1p53, number.rounded() == number else { throw invalid("expected an unsigned integer") }
            return Int(number)
        }

        /// A single Unicode scalar (serde's `char`).
        func character() throws(FormatError) -> Unicode.Scalar {
            let text = try string()
            guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
                throw invalid("expected a single character")
            }
            return scalar
        }

        func array() throws(FormatError) -> [JSONNode] {
            guard case .array(let elements) = value else { throw invalid("expected an array") }
            return elements.enumerated().map { JSONNode(value: $1, location: "\(location)[\($0)]") }
        }

        func members() throws(FormatError) -> [(key: String, node: JSONNode)] {
            guard case .object(let members) = value else { throw invalid("expected an object") }
            return members.map { ($0.key, JSONNode(value: $0.value, location: "\(location).\($0.key)")) }
        }

        /// The component's `"type"` (nil when the object has none).
        var type: String? {
            guard case .string(let text)? = optional("type")?.value else { return nil }
            return text
        }

        func bool(_ key: String, default fallback: Bool) throws(FormatError) -> Bool {
            try optional(key)?.bool() ?? fallback
        }

        /// `{"String": "..."}` or `{"Regex": "..."}` (`ReplacePattern`, `SplitPattern`).
        func pattern() throws(FormatError) -> Pattern {
            if let literal = optional("String") { return try Pattern(literal: literal.string()) }
            if let regex = optional("Regex") { return try Pattern(regex: regex.string(), location: regex.location) }
            throw invalid("expected {\"String\": ...} or {\"Regex\": ...}")
        }
    }
}
