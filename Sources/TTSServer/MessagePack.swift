// MessagePack.swift: the one file importing CMsgPack (msgpack-c). Kyutai's /api/tts_streaming
// speaks msgpack maps; this wraps msgpack-c's unpacker and packer around a Swift value.
//
// msgpack-c allocates a container's elements when it reads the container's header, before it
// has seen them: a 5-byte header may claim four billion elements. So every message is first
// walked by `MessagePackLimits.check`, which reads headers only and bounds the size, the
// nesting and the element count, and checks that every claimed length fits in the bytes left.
import CMsgPack

/// A decoded msgpack value. Integers keep their sign as msgpack-c reports it.
public indirect enum MessagePackValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Float)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case array([MessagePackValue])
    case map([(MessagePackValue, MessagePackValue)])

    /// The value under the string key `key` of a map.
    public subscript(key: String) -> MessagePackValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.0 == .string(key) }?.1
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public static func == (a: MessagePackValue, b: MessagePackValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.uint(let x), .uint(let y)): x == y
        case (.float(let x), .float(let y)): x == y
        case (.double(let x), .double(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.binary(let x), .binary(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.map(let x), .map(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }
}

public enum MessagePackError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Over a bound of `MessagePackLimits` (checked before decoding).
    case limit(String)
    /// Not one well-formed msgpack value.
    case malformed(String)

    public var description: String {
        switch self {
        case .limit(let detail): "msgpack over a limit: \(detail)"
        case .malformed(let detail): "malformed msgpack: \(detail)"
        }
    }
}

public enum MessagePack {
    /// Decodes exactly one value filling `bytes`, after `limits.check`. With `keys`, a map's
    /// values under other keys come back as `.null` (they are checked, not converted).
    public static func decode(_ bytes: [UInt8], limits: MessagePackLimits = MessagePackLimits(),
                              keys: Set<String>? = nil) throws(MessagePackError) -> MessagePackValue {
        try limits.check(bytes)
        var unpacked = msgpack_unpacked()
        msgpack_unpacked_init(&unpacked)
        defer { msgpack_unpacked_destroy(&unpacked) }
        var offset = 0
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                msgpack_unpack_next(&unpacked, $0, buffer.count, &offset)
            }
        }
        guard status == MSGPACK_UNPACK_SUCCESS else { throw .malformed("msgpack-c status \(status.rawValue)") }
        guard offset == bytes.count else { throw .malformed("\(bytes.count - offset) bytes after the value") }
        guard let keys else { return value(of: unpacked.data) }
        // A map's other values stay msgpack-c's: a large embedding costs no Swift values.
        guard unpacked.data.type == MSGPACK_OBJECT_MAP else { return value(of: unpacked.data) }
        let map = unpacked.data.via.map
        let pairs = UnsafeBufferPointer(start: map.ptr, count: Int(map.size))
        return .map(pairs.map { pair in
            let key = value(of: pair.key)
            guard let name = key.stringValue, keys.contains(name) else { return (key, .null) }
            return (key, value(of: pair.val))
        })
    }

    /// The msgpack bytes of `value` (floats as float32, doubles as float64).
    public static func encode(_ value: MessagePackValue) -> [UInt8] {
        var buffer = msgpack_sbuffer()
        msgpack_sbuffer_init(&buffer)
        defer { msgpack_sbuffer_destroy(&buffer) }
        var packer = msgpack_packer()
        msgpack_packer_init(&packer, &buffer) { data, bytes, length in msgpack_sbuffer_write(data, bytes, length) }
        pack(value, into: &packer)
        guard let data = buffer.data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: buffer.size))
    }

    private static func pack(_ value: MessagePackValue, into packer: inout msgpack_packer) {
        switch value {
        case .null: msgpack_pack_nil(&packer)
        case .bool(let flag): _ = flag ? msgpack_pack_true(&packer) : msgpack_pack_false(&packer)
        case .int(let number): msgpack_pack_int64(&packer, number)
        case .uint(let number): msgpack_pack_uint64(&packer, number)
        case .float(let number): msgpack_pack_float(&packer, number)
        case .double(let number): msgpack_pack_double(&packer, number)
        case .string(let text):
            let utf8 = Array(text.utf8)
            msgpack_pack_str(&packer, utf8.count)
            msgpack_pack_str_body(&packer, utf8, utf8.count)
        case .binary(let bytes):
            msgpack_pack_bin(&packer, bytes.count)
            msgpack_pack_bin_body(&packer, bytes, bytes.count)
        case .array(let items):
            msgpack_pack_array(&packer, items.count)
            for item in items { pack(item, into: &packer) }
        case .map(let pairs):
            msgpack_pack_map(&packer, pairs.count)
            for (key, item) in pairs {
                pack(key, into: &packer)
                pack(item, into: &packer)
            }
        }
    }

    private static func value(of object: msgpack_object) -> MessagePackValue {
        switch object.type {
        case MSGPACK_OBJECT_BOOLEAN: return .bool(object.via.boolean)
        case MSGPACK_OBJECT_POSITIVE_INTEGER: return .uint(object.via.u64)
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: return .int(object.via.i64)
        case MSGPACK_OBJECT_FLOAT32: return .float(Float(object.via.f64))
        case MSGPACK_OBJECT_FLOAT64: return .double(object.via.f64)
        case MSGPACK_OBJECT_STR:
            let bytes = UnsafeRawBufferPointer(start: object.via.str.ptr, count: Int(object.via.str.size))
            return .string(String(decoding: bytes, as: UTF8.self))
        case MSGPACK_OBJECT_BIN:
            return .binary(Array(UnsafeRawBufferPointer(start: object.via.bin.ptr, count: Int(object.via.bin.size))))
        case MSGPACK_OBJECT_ARRAY:
            let items = UnsafeBufferPointer(start: object.via.array.ptr, count: Int(object.via.array.size))
            return .array(items.map(value(of:)))
        case MSGPACK_OBJECT_MAP:
            let pairs = UnsafeBufferPointer(start: object.via.map.ptr, count: Int(object.via.map.size))
            return .map(pairs.map { (value(of: $0.key), value(of: $0.val)) })
        default:
            return .null  // nil, and ext values (no message of ours has one)
        }
    }
}
