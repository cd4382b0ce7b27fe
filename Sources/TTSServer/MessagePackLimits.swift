// MessagePackLimits.swift: the bounds a client's msgpack message is held to before msgpack-c
// decodes it (the msgpack counterpart of JSONLimits). The walk reads type headers and lengths
// only: it decodes nothing, and refuses what msgpack-c would otherwise allocate for blindly.

/// Size, nesting and element bounds of one client msgpack message.
public struct MessagePackLimits: Sendable, Equatable {
    public var maxBytes: Int
    /// Containers inside containers; a message of ours is a map holding at most an array.
    public var maxDepth: Int
    /// Elements of every array and map (a map entry counts twice), all containers together.
    public var maxElements: Int

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 8, maxElements: Int = 300_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxElements = maxElements
    }

    /// Throws unless `bytes` is one msgpack value within the bounds whose every claimed length
    /// fits in the bytes that follow it.
    public func check(_ bytes: [UInt8]) throws(MessagePackError) {
        guard !bytes.isEmpty else { throw .malformed("empty message") }
        guard bytes.count <= maxBytes else { throw .limit("\(bytes.count) bytes, limit \(maxBytes)") }
        var position = 0
        var open: [Int] = []  // values still to read in each open container, innermost last
        var elements = 0
        var values = 1  // values still to read at the top level
        while values > 0 || !open.isEmpty {
            if let last = open.last, last == 0 {
                open.removeLast()
                continue
            }
            if open.isEmpty { values -= 1 } else { open[open.count - 1] -= 1 }
            guard position < bytes.count else { throw .malformed("truncated at byte \(position)") }
            let header = try Self.header(bytes, at: position)
            position += header.headerBytes
            guard header.payloadBytes <= bytes.count - position else {
                throw .malformed("a length of \(header.payloadBytes) at byte \(position) runs past the end")
            }
            position += header.payloadBytes
            guard header.children > 0 else { continue }
            // Every element takes at least one byte: a count larger than what is left is a lie.
            guard header.children <= bytes.count - position else {
                throw .malformed("a container of \(header.children) elements in \(bytes.count - position) bytes")
            }
            elements += header.children
            guard elements <= maxElements else { throw .limit("more than \(maxElements) elements") }
            guard open.count < maxDepth else { throw .limit("nesting deeper than \(maxDepth)") }
            open.append(header.children)
        }
        guard position == bytes.count else { throw .malformed("\(bytes.count - position) bytes after the value") }
    }

    private struct Header {
        var headerBytes: Int
        var payloadBytes = 0
        /// Values the container holds (twice the entries of a map).
        var children = 0
    }

    private static func header(_ bytes: [UInt8], at position: Int) throws(MessagePackError) -> Header {
        let tag = bytes[position]
        /// The big-endian length in the `size` bytes after the tag.
        func length(_ size: Int) throws(MessagePackError) -> Int {
            guard position + size < bytes.count else { throw .malformed("truncated length at byte \(position)") }
            return bytes[(position + 1)...(position + size)].reduce(0) { $0 << 8 | Int($1) }
        }
        switch tag {
        case 0x00...0x7F, 0xE0...0xFF, 0xC0, 0xC2, 0xC3: return Header(headerBytes: 1)
        case 0x80...0x8F: return Header(headerBytes: 1, children: 2 * Int(tag & 0x0F))
        case 0x90...0x9F: return Header(headerBytes: 1, children: Int(tag & 0x0F))
        case 0xA0...0xBF: return Header(headerBytes: 1, payloadBytes: Int(tag & 0x1F))
        case 0xC4, 0xD9: return Header(headerBytes: 2, payloadBytes: try length(1))
        case 0xC5, 0xDA: return Header(headerBytes: 3, payloadBytes: try length(2))
        case 0xC6, 0xDB: return Header(headerBytes: 5, payloadBytes: try length(4))
        case 0xC7: return Header(headerBytes: 3, payloadBytes: try length(1))  // ext 8: length, type
        case 0xC8: return Header(headerBytes: 4, payloadBytes: try length(2))
        case 0xC9: return Header(headerBytes: 6, payloadBytes: try length(4))
        case 0xCA: return Header(headerBytes: 1, payloadBytes: 4)
        case 0xCB: return Header(headerBytes: 1, payloadBytes: 8)
        case 0xCC, 0xD0: return Header(headerBytes: 1, payloadBytes: 1)
        case 0xCD, 0xD1: return Header(headerBytes: 1, payloadBytes: 2)
        case 0xCE, 0xD2: return Header(headerBytes: 1, payloadBytes: 4)
        case 0xCF, 0xD3: return Header(headerBytes: 1, payloadBytes: 8)
        case 0xD4...0xD8: return Header(headerBytes: 2, payloadBytes: 1 << Int(tag - 0xD4))  // fixext: type, data
        case 0xDC: return Header(headerBytes: 3, children: try length(2))
        case 0xDD: return Header(headerBytes: 5, children: try length(4))
        case 0xDE: return Header(headerBytes: 3, children: 2 * (try length(2)))
        case 0xDF: return Header(headerBytes: 5, children: 2 * (try length(4)))
        default: throw .malformed("byte 0x\(String(tag, radix: 16)) is not a msgpack type")  // 0xC1
        }
    }
}
