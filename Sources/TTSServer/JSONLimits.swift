// JSONLimits.swift: bounds on a JSON document from a client, checked by a byte scan before any
// parser sees it. Foundation's JSONDecoder traps (SIGILL, killing every session) while it
// builds its "too deeply nested" error for 513 nested arrays or objects, so untrusted bytes
// reach it only once they are known to nest no deeper than `maxDepth` and to be no larger
// than `maxBytes`. Every protocol that parses client JSON goes through `JSONValue.parse`.

/// How large and how deeply nested a client's JSON document may be.
public struct JSONLimits: Sendable, Equatable {
    /// Arrays and objects open at once (brackets inside strings do not count).
    public var maxDepth: Int
    /// UTF-8 bytes in one document.
    public var maxBytes: Int

    /// The most `maxDepth` may be: Foundation's decoder stops (by trapping) at 513.
    public static let depthCeiling = 256

    public init(maxDepth: Int = 32, maxBytes: Int = 65536) {
        self.maxDepth = min(max(1, maxDepth), Self.depthCeiling)
        self.maxBytes = max(0, maxBytes)
    }

    /// Throws `.invalidJSON` (wire code `parse_error`) when `bytes` is larger than `maxBytes`,
    /// nests deeper than `maxDepth`, or closes more brackets than it opened. Passing says
    /// nothing else about the document: the parser still judges it.
    public func check(_ bytes: some Collection<UInt8>) throws(ProtocolError) {
        guard bytes.count <= maxBytes else {
            throw .invalidJSON(detail: "the document is larger than \(maxBytes) bytes")
        }
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                guard depth <= maxDepth else {
                    throw .invalidJSON(detail: "arrays and objects nested deeper than \(maxDepth) levels")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                guard depth >= 0 else { throw .invalidJSON(detail: "the frame is not a JSON document") }
            default:
                break
            }
        }
    }
}
