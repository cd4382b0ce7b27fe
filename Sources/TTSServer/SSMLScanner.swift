// SSMLScanner.swift: the tokens of an SSML document — start and end tags with their attributes,
// text with its entities resolved — for `SSMLDocument`. A small hand-written scanner for the
// subset (no DTDs, no CDATA, no namespaces beyond names with a colon): comments and processing
// instructions (`<?xml …?>`) are skipped; anything else out of place is an `SSMLError` naming
// the offset (in Unicode scalars). It never reads past the end and never recurses.

/// One token of an SSML document.
enum SSMLToken: Equatable, Sendable {
    /// `<name a="v">`, or `<name a="v"/>` when `selfClosing`.
    case start(name: String, attributes: [String: String], selfClosing: Bool)
    case end(name: String)
    /// Text with its entities resolved.
    case text(String)
}

struct SSMLScanner: Sendable {
    /// Longest text token: a longer run of text comes as several tokens (bounds one step's work).
    static let maxTextRun = 4096
    private let scalars: [Unicode.Scalar]
    /// Scalars read so far.
    private(set) var position = 0

    init(_ source: String) {
        scalars = Array(source.unicodeScalars)
    }

    /// The next token, or nil at the end.
    mutating func next() throws(SSMLError) -> SSMLToken? {
        while position < scalars.count {
            if scalars[position] != "<" { return .text(try readText()) }
            if starts(with: "<!--") {
                try skip(past: "-->", from: position + 4, what: "comment")
            } else if starts(with: "<?") {
                try skip(past: "?>", from: position + 2, what: "processing instruction")
            } else if starts(with: "<!") {
                throw .syntax("<! declarations (DOCTYPE, CDATA) are not supported", at: position)
            } else if starts(with: "</") {
                return try readEndTag()
            } else {
                return try readStartTag()
            }
        }
        return nil
    }

    // MARK: Text and entities

    private mutating func readText() throws(SSMLError) -> String {
        var text = String.UnicodeScalarView()
        let start = position
        while position < scalars.count, scalars[position] != "<", position - start < Self.maxTextRun {
            if scalars[position] == "&" {
                text.append(try readEntity())
            } else {
                text.append(scalars[position])
                position += 1
            }
        }
        return String(text)
    }

    /// `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` `&#65;` `&#x41;`.
    private mutating func readEntity() throws(SSMLError) -> Unicode.Scalar {
        let start = position
        var end = position + 1
        while end < scalars.count, end - start <= 12, scalars[end] != ";" { end += 1 }
        guard end < scalars.count, scalars[end] == ";" else {
            throw .syntax("a bare '&' (write &amp;)", at: start)
        }
        let name = String(String.UnicodeScalarView(scalars[(start + 1)..<end]))
        position = end + 1
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            var digits = Substring(name)
            guard digits.first == "#" else { throw .syntax("unknown entity &\(name);", at: start) }
            digits = digits.dropFirst()
            var radix = 10
            if digits.first == "x" || digits.first == "X" { radix = 16; digits = digits.dropFirst() }
            guard !digits.isEmpty, let value = UInt32(digits, radix: radix), value != 0,
                  let scalar = Unicode.Scalar(value) else {
                throw .syntax("invalid character reference &\(name);", at: start)
            }
            return scalar
        }
    }

    // MARK: Tags

    private mutating func readEndTag() throws(SSMLError) -> SSMLToken {
        let start = position
        position += 2
        let name = try readName(at: start)
        skipSpaces()
        guard position < scalars.count, scalars[position] == ">" else { throw .syntax("unterminated end tag </\(name)", at: start) }
        position += 1
        return .end(name: name)
    }

    private mutating func readStartTag() throws(SSMLError) -> SSMLToken {
        let start = position
        position += 1
        let name = try readName(at: start)
        var attributes: [String: String] = [:]
        while true {
            let spaced = skipSpaces()
            guard position < scalars.count else { throw .syntax("unterminated tag <\(name)", at: start) }
            if scalars[position] == ">" {
                position += 1
                return .start(name: name, attributes: attributes, selfClosing: false)
            }
            if scalars[position] == "/" {
                guard position + 1 < scalars.count, scalars[position + 1] == ">" else {
                    throw .syntax("expected '/>' in tag <\(name)", at: position)
                }
                position += 2
                return .start(name: name, attributes: attributes, selfClosing: true)
            }
            guard spaced else { throw .syntax("expected a space before an attribute in tag <\(name)", at: position) }
            let attribute = try readName(at: position)
            skipSpaces()
            guard position < scalars.count, scalars[position] == "=" else {
                throw .syntax("attribute \(attribute) of <\(name)> has no value", at: position)
            }
            position += 1
            skipSpaces()
            guard attributes[attribute] == nil else { throw .syntax("attribute \(attribute) twice in <\(name)>", at: position) }
            attributes[attribute] = try readQuoted(tag: name)
        }
    }

    private mutating func readQuoted(tag: String) throws(SSMLError) -> String {
        let start = position
        guard position < scalars.count, scalars[position] == "\"" || scalars[position] == "'" else {
            throw .syntax("attribute values of <\(tag)> must be quoted", at: position)
        }
        let quote = scalars[position]
        position += 1
        var value = String.UnicodeScalarView()
        while position < scalars.count, scalars[position] != quote {
            if scalars[position] == "<" { throw .syntax("'<' inside an attribute value", at: position) }
            if scalars[position] == "&" {
                value.append(try readEntity())
            } else {
                value.append(scalars[position])
                position += 1
            }
        }
        guard position < scalars.count else { throw .syntax("unterminated attribute value in <\(tag)>", at: start) }
        position += 1
        return String(value)
    }

    /// An XML name: letters, digits, `-`, `_`, `.`, `:` (not starting with a digit, `-` or `.`).
    private mutating func readName(at tagStart: Int) throws(SSMLError) -> String {
        let start = position
        while position < scalars.count, position - start < 64, Self.isNameScalar(scalars[position], first: position == start) {
            position += 1
        }
        guard position > start else { throw .syntax("expected a name", at: tagStart) }
        return String(String.UnicodeScalarView(scalars[start..<position]))
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
        if scalar.properties.isAlphabetic || scalar == "_" || scalar == ":" { return true }
        return !first && (scalar.properties.numericType != nil || scalar == "-" || scalar == ".")
    }

    // MARK: Helpers

    /// Skips white space; whether there was any.
    @discardableResult
    private mutating func skipSpaces() -> Bool {
        let start = position
        while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
        return position > start
    }

    private func starts(with prefix: String) -> Bool {
        var index = position
        for scalar in prefix.unicodeScalars {
            guard index < scalars.count, scalars[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    private mutating func skip(past terminator: String, from index: Int, what: String) throws(SSMLError) {
        let start = position
        position = index
        while position < scalars.count {
            if starts(with: terminator) {
                position += terminator.unicodeScalars.count
                return
            }
            position += 1
        }
        throw .syntax("unterminated \(what)", at: start)
    }
}
