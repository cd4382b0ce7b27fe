import Foundation
import Kernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes safetensors files the way the Python `safetensors` library does: tensors ordered by
/// name, data packed back to back, the JSON header (`__metadata__` first) padded with spaces to a
/// multiple of 8 bytes. Writes F32, BF16 (rounded to nearest even from Float32) and I64 (integral values).
///
/// Either collect tensors with `add` and `write(to:)`, or stream a large file with
/// `write(to:declarations:metadata:values:)`, which asks for one tensor's values at a time.
public struct SafetensorsWriter: Sendable {
    /// A tensor to be written: its name, dtype and shape.
    public struct Declaration: Sendable, Equatable {
        public var name: String
        public var dtype: SafetensorsDType
        public var shape: [Int]

        public init(name: String, dtype: SafetensorsDType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }

        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// Written as the header's `__metadata__` (omitted when empty).
    public var metadata: [String: String]
    private var declarations: [String: Declaration] = [:]
    private var encoded: [String: [UInt8]] = [:]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds a tensor; `values` are row-major Float32 and are encoded now as `dtype`.
    public mutating func add(_ name: String, shape: [Int], values: [Float], dtype: SafetensorsDType = .float32) throws {
        let declaration = Declaration(name: name, dtype: dtype, shape: shape)
        try Self.check(declaration)
        guard declarations[name] == nil else { throw SafetensorsError.invalidTensorName(name) }
        guard values.count == declaration.elementCount else {
            throw SafetensorsError.valueCountMismatch(tensor: name, shape: shape, count: values.count)
        }
        declarations[name] = declaration
        encoded[name] = FloatConversion.encode(values, as: dtype)
    }

    /// Adds a tensor, encoded as `dtype`.
    public mutating func add(_ name: String, _ tensor: Tensor, dtype: SafetensorsDType = .float32) throws {
        try add(name, shape: tensor.shape, values: tensor.data, dtype: dtype)
    }

    /// The complete file contents.
    public func serialized() throws -> [UInt8] {
        let ordered = declarations.values.sorted { $0.name < $1.name }
        var bytes = Self.header(for: ordered, metadata: metadata)
        for declaration in ordered {
            bytes += encoded[declaration.name, default: []]
        }
        return bytes
    }

    /// Writes the file (replacing any file at `url`).
    public func write(to url: URL) throws {
        let ordered = declarations.values.sorted { $0.name < $1.name }
        try Self.write(to: url, declarations: ordered, metadata: metadata) { declaration in
            encoded[declaration.name, default: []]
        }
    }

    /// Streams a file: the header from `declarations`, then each tensor's values, asked for one
    /// at a time in name order, so only one tensor is in memory at once.
    public static func write(
        to url: URL, declarations: [Declaration], metadata: [String: String] = [:],
        values: (Declaration) throws -> [Float]
    ) throws {
        var seen = Set<String>()
        for declaration in declarations {
            try check(declaration)
            guard seen.insert(declaration.name).inserted else { throw SafetensorsError.invalidTensorName(declaration.name) }
        }
        let ordered = declarations.sorted { $0.name < $1.name }
        try write(to: url, declarations: ordered, metadata: metadata) { declaration in
            let tensorValues = try values(declaration)
            guard tensorValues.count == declaration.elementCount else {
                throw SafetensorsError.valueCountMismatch(tensor: declaration.name, shape: declaration.shape, count: tensorValues.count)
            }
            return FloatConversion.encode(tensorValues, as: declaration.dtype)
        }
    }

    // MARK: - Private

    private static func check(_ declaration: Declaration) throws {
        guard declaration.name != "__metadata__" else { throw SafetensorsError.invalidTensorName(declaration.name) }
        guard declaration.dtype != .float16 else {
            throw SafetensorsError.unwritableDType(tensor: declaration.name, dtype: declaration.dtype)
        }
        guard declaration.shape.allSatisfy({ $0 >= 0 }) else {
            throw SafetensorsError.valueCountMismatch(tensor: declaration.name, shape: declaration.shape, count: 0)
        }
    }

    /// Writes the header for `ordered`, then each tensor's encoded bytes from `bytes`.
    private static func write(
        to url: URL, declarations ordered: [Declaration], metadata: [String: String],
        bytes: (Declaration) throws -> [UInt8]
    ) throws {
        let path = url.path
        guard let file = fopen(path, "wb") else {
            throw SafetensorsError.io(path: path, operation: "open for writing", reason: String(cString: strerror(errno)))
        }
        var closed = false
        defer { if !closed { fclose(file) } }
        func put(_ chunk: [UInt8]) throws {
            let written = chunk.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            guard written == chunk.count else {
                throw SafetensorsError.io(path: path, operation: "write", reason: String(cString: strerror(errno)))
            }
        }
        try put(header(for: ordered, metadata: metadata))
        for declaration in ordered {
            let chunk = try bytes(declaration)
            precondition(chunk.count == declaration.elementCount * declaration.dtype.byteCount)
            try put(chunk)
        }
        closed = true
        guard fclose(file) == 0 else {
            throw SafetensorsError.io(path: path, operation: "close", reason: String(cString: strerror(errno)))
        }
    }

    /// The 8-byte length followed by the space-padded JSON header.
    static func header(for ordered: [Declaration], metadata: [String: String]) -> [UInt8] {
        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for declaration in ordered {
            let end = offset + declaration.elementCount * declaration.dtype.byteCount
            let shape = declaration.shape.map(String.init).joined(separator: ",")
            fields.append(
                "\(jsonString(declaration.name)):{\"dtype\":\"\(declaration.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        json += fields.joined(separator: ",") + "}"
        var headerBytes = Array(json.utf8)
        headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)
        return withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian, Array.init) + headerBytes
    }

    /// A JSON string literal for the header: quotes, backslashes and control characters
    /// escaped, everything else (non-ASCII included) as UTF-8.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
