// A small JSON reader for tokenizer.json. Not Foundation's JSONSerialization: Swift strings
// compare by canonical equivalence, so a dictionary keyed by them merges a BPE vocabulary's "é"
// and "e\u{301}" (two pieces with two ids). Objects here keep their members in order, as pairs.

extension TokenizerJSON {
    /// A parsed JSON value.
    enum JSONValue {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONValue])
        case object([(key: String, value: JSONValue)])

        /// Parses UTF-8 JSON text (RFC 8259; a lone surrogate escape is an error, as in serde_json).
        static func parse(_ bytes: [UInt8]) throws(FormatError) -> JSONValue {
            var reader = Reader(bytes: bytes)
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.position == bytes.count else { throw reader.error("trailing characters") }
            return value
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        func error(_ message: String) -> FormatError {
            .invalid(location: "byte \(position)", message: "not valid JSON: \(message)")
        }

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) throws(FormatError) -> JSONValue {
            guard depth < 512 else { throw error("nested too deeply") }
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end") }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [(key: String, value: JSONValue)] = []
                skipWhitespace()
                if try consume(UInt8(ascii: "}")) { return .object(members) }
                repeat {
                    skipWhitespace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a key") }
                    let key = try string()
                    skipWhitespace()
                    guard try consume(UInt8(ascii: ":")) else { throw error("expected ':'") }
                    members.append((key, try value(depth: depth + 1)))
                    skipWhitespace()
                } while try consume(UInt8(ascii: ","))
                guard try consume(UInt8(ascii: "}")) else { throw error("expected '}'") }
                return .object(members)
            case UInt8(ascii: "["):
                position += 1
                var elements: [JSONValue] = []
                skipWhitespace()
                if try consume(UInt8(ascii: "]")) { return .array(elements) }
                repeat {
                    elements.append(try value(depth: depth + 1))
                    skipWhitespace()
                } while try consume(UInt8(ascii: ","))
                guard try consume(UInt8(ascii: "]")) else { throw error("expected ']'") }
                return .array(elements)
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        mutating func consume(_ byte: UInt8) throws(FormatError) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        mutating func literal(_ word: String, _ value: JSONValue) throws(FormatError) -> JSONValue {
            let utf8 = Array(word.utf8)
            guard position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
                throw error("unexpected character")
            }
            position += utf8.count
            return value
        }

        mutating func number() throws(FormatError) -> JSONValue {
            let start = position
            func isNumberByte(_ b: UInt8) -> Bool {
                (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
                    || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
            }
            while position < bytes.count, isNumberByte(bytes[position]) { position += 1 }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            // Swift's Double(String) is correctly rounded, as serde_json's float parsing.
            guard !text.isEmpty, let number = Double(text) else { throw error("bad number \(text.debugDescription)") }
            return .number(number)
        }

        mutating func string() throws(FormatError) -> String {
            position += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var runStart = position
            func flushRun(_ end: Int) {
                if end > runStart { scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars) }
            }
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    flushRun(position)
                    position += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw error("control character in a string") }
                guard byte == UInt8(ascii: "\\") else { position += 1; continue }
                flushRun(position)
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{8}")
                case UInt8(ascii: "f"): scalars.append("\u{C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                              bytes[position + 1] == UInt8(ascii: "u") else { throw error("lone surrogate") }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("lone surrogate") }
                    scalars.append(scalar)
                default: throw error("bad escape")
                }
                runStart = position
            }
            throw error("unterminated string")
        }

        mutating func hex4() throws(FormatError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw error("bad \\u escape") }
            var code: UInt32 = 0
            for byte in bytes[position..<position + 4] {
                guard let digit = hexDigit(byte) else { throw error("bad \\u escape") }
                code = code << 4 | UInt32(digit)
            }
            position += 4
            return code
        }
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
