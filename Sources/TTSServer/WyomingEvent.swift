// WyomingEvent.swift: the Wyoming protocol's framing, as the `wyoming` package 1.10
// (`wyoming/event.py`) reads and writes it. One event on the byte stream is
//
//   {"type":"synthesize","version":"1.10.2","data_length":27,"payload_length":0}\n   a JSON header line
//   {"text":"Hello.","voice":{}}                                                     data_length bytes of JSON
//   <payload_length bytes>                                                           the payload (audio)
//
// The data block is merged over the header's own "data" object (older writers put the data in
// the header line; both forms are read). A missing, null or non-positive length means none.
// Writers put "data_length" only when the data is not empty, "payload_length" only when there
// is a payload.
//
// `WyomingFramer` splits a connection's bytes into whole events (the raw TCP transport's
// `StreamFramer`), `WyomingEvent.decode` parses one, `encoded` writes one. Every length is
// bounded (`WyomingLimits`) before a byte of it is buffered.

/// One Wyoming event.
public struct WyomingEvent: Equatable, Sendable {
    public var type: String
    public var data: [String: JSONValue]
    public var payload: [UInt8]

    /// The `version` the events we write carry (the `wyoming` package's).
    public static let protocolVersion = "1.10.2"

    public init(type: String, data: [String: JSONValue] = [:], payload: [UInt8] = []) {
        self.type = type
        self.data = data
        self.payload = payload
    }

    /// The event as `async_write_event` writes it.
    public var encoded: [UInt8] {
        Self.encode(type: type, dataJSON: data.isEmpty ? nil : JSONValue.object(data).jsonText, payload: payload)
    }

    /// An event whose data is already JSON text (an object), or nil for none.
    static func encode(type: String, dataJSON: String?, payload: [UInt8] = []) -> [UInt8] {
        let data = dataJSON.map { Array($0.utf8) } ?? []
        var header = "{\"type\":" + jsonQuoted(type) + ",\"version\":\"" + protocolVersion + "\""
        if !data.isEmpty { header += ",\"data_length\":\(data.count)" }
        if !payload.isEmpty { header += ",\"payload_length\":\(payload.count)" }
        header += "}\n"
        return Array(header.utf8) + data + payload
    }

    /// The lengths a header line declares, checked against `limits`.
    struct Header {
        var fields: [String: JSONValue]
        var dataLength: Int
        var payloadLength: Int
    }

    /// Parses a header line (without its newline; a trailing CR is allowed).
    static func header(_ line: some Collection<UInt8>, limits: WyomingLimits) throws(ProtocolError) -> Header {
        guard line.count <= limits.maxLineBytes else {
            throw .invalidJSON(detail: "a header line is longer than \(limits.maxLineBytes) bytes")
        }
        guard let text = String(validating: line, as: UTF8.self) else {
            throw .invalidJSON(detail: "a header line is not UTF-8")
        }
        guard case .object(let fields) = try JSONValue.parse(text, limits: limits.json) else {
            throw .invalidJSON(detail: "a header line must be a JSON object")
        }
        guard case .string? = fields["type"] else { throw .notAMessageObject }
        func length(_ key: String, limit: Int) throws(ProtocolError) -> Int {
            switch fields[key] {
            case nil, .null?: return 0
            case .integer(let value)?:
                guard value <= Int64(limit) else { throw .invalidJSON(detail: "\(key) \(value) is over the limit of \(limit) bytes") }
                return Int(max(0, value))  // the package reads a length <= 0 as none
            case let other?: throw .invalidJSON(detail: "\(key) must be an integer (got \(other.typeName))")
            }
        }
        return Header(fields: fields, dataLength: try length("data_length", limit: limits.maxDataBytes),
                      payloadLength: try length("payload_length", limit: limits.maxPayloadBytes))
    }

    /// Parses one whole event (header line, data, payload: what `WyomingFramer` hands on).
    public static func decode(_ bytes: [UInt8], limits: WyomingLimits) throws(ProtocolError) -> WyomingEvent {
        guard let newline = bytes.firstIndex(of: 10) else { throw .invalidJSON(detail: "no header line") }
        var line = bytes[..<newline]
        if line.last == 13 { line = line.dropLast() }
        let header = try header(line, limits: limits)
        guard bytes.count == newline + 1 + header.dataLength + header.payloadLength else {
            throw .invalidJSON(detail: "the event's length differs from its header's")
        }
        guard case .string(let type)? = header.fields["type"] else { throw .notAMessageObject }
        var data: [String: JSONValue]
        switch header.fields["data"] {
        case nil, .null?: data = [:]
        case .object(let inline)?: data = inline
        case let other?: throw .invalidJSON(detail: "\"data\" must be an object (got \(other.typeName))")
        }
        let dataStart = newline + 1
        if header.dataLength > 0 {
            guard let text = String(validating: bytes[dataStart..<(dataStart + header.dataLength)], as: UTF8.self) else {
                throw .invalidJSON(detail: "the data block is not UTF-8")
            }
            guard case .object(let block) = try JSONValue.parse(text, limits: limits.json) else {
                throw .invalidJSON(detail: "the data block must be a JSON object")
            }
            data.merge(block) { _, new in new }
        }
        return WyomingEvent(type: type, data: data, payload: Array(bytes[(dataStart + header.dataLength)...]))
    }
}

/// Bounds on what a Wyoming client may send.
public struct WyomingLimits: Sendable, Equatable {
    /// Bytes of one header line.
    public var maxLineBytes: Int
    /// Bytes of one data block.
    public var maxDataBytes: Int
    /// Bytes of one payload (a TTS server reads none, but clients may send audio events).
    public var maxPayloadBytes: Int
    /// Nesting of the header's and the data's JSON (their sizes are the bounds above).
    public var maxJSONDepth: Int

    public init(maxLineBytes: Int = 65536, maxDataBytes: Int = 65536, maxPayloadBytes: Int = 1 << 20, maxJSONDepth: Int = 32) {
        self.maxLineBytes = max(64, maxLineBytes)
        self.maxDataBytes = max(0, maxDataBytes)
        self.maxPayloadBytes = max(0, maxPayloadBytes)
        self.maxJSONDepth = maxJSONDepth
    }

    /// The JSON bounds of a header line or a data block.
    var json: JSONLimits { JSONLimits(maxDepth: maxJSONDepth, maxBytes: max(maxLineBytes, maxDataBytes)) }
}

/// Splits a byte stream into messages for the raw TCP transport (one per call of the handler).
public protocol StreamFramer: Sendable {
    /// The whole messages completed by `bytes`, in order. A `.text` message says the stream
    /// cannot be split (why): nothing follows it.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> [WebSocketMessage]
}

/// Wyoming events out of a TCP stream: each whole event (header line, data, payload) becomes one
/// `.binary` message for `WyomingEvent.decode`. Holds at most one event's bytes (bounded by
/// `limits`) plus what one read brings. Blank lines between events are skipped.
public struct WyomingFramer: StreamFramer {
    let limits: WyomingLimits
    private var buffer: [UInt8] = []
    /// Where the event being assembled starts in `buffer`.
    private var start = 0
    /// Bytes from `start` already searched for the header's newline.
    private var scanned = 0
    /// The whole event's length, once its header has been read.
    private var eventLength: Int?
    private var failed = false

    public init(limits: WyomingLimits) {
        self.limits = limits
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) -> [WebSocketMessage] {
        guard !failed else { return [] }
        buffer.append(contentsOf: bytes)
        var messages: [WebSocketMessage] = []
        while true {
            if eventLength == nil {
                guard let newline = buffer[(start + scanned)...].firstIndex(of: 10) else {
                    scanned = buffer.count - start
                    if scanned > limits.maxLineBytes + 1 {
                        return messages + fail("a header line is longer than \(limits.maxLineBytes) bytes")
                    }
                    break
                }
                var line = buffer[start..<newline]
                if line.last == 13 { line = line.dropLast() }
                if line.allSatisfy({ $0 == 32 || $0 == 9 }) {  // a blank line
                    start = newline + 1
                    scanned = 0
                    continue
                }
                do {
                    let header = try WyomingEvent.header(line, limits: limits)
                    eventLength = newline + 1 - start + header.dataLength + header.payloadLength
                } catch .invalidJSON(let detail) {
                    return messages + fail(detail)
                } catch {
                    return messages + fail(error.message)
                }
            }
            guard let length = eventLength, buffer.count - start >= length else { break }
            messages.append(.binary(Array(buffer[start..<(start + length)])))
            start += length
            scanned = 0
            eventLength = nil
        }
        if start > 0 {  // once per read: what is left moves to the front
            buffer.removeFirst(start)
            start = 0
        }
        return messages
    }

    private mutating func fail(_ reason: String) -> [WebSocketMessage] {
        failed = true
        buffer = []
        start = 0
        return [.text(reason)]
    }
}
