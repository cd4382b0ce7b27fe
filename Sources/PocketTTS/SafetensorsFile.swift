import Foundation
import Kernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One tensor's entry in a safetensors header.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    /// Byte range inside the data section (after the 8-byte length and the header).
    public var dataRange: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file mapped read-only into memory (format: u64 little-endian header length N,
/// N bytes of JSON header, then the tensor data). The header is fully validated on open:
/// every tensor's dtype, shape and offsets, with the data ranges tiling the data section exactly.
///
/// Values are decoded to Float32 on request; `rawBytes(named:)` gives the stored bytes without a
/// copy, valid for as long as this object lives.
public final class SafetensorsFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and every stored property is immutable.

    /// Largest header accepted, as in the reference implementation.
    public static let maximumHeaderLength: UInt64 = 100_000_000

    public let path: String
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Tensor names, sorted.
    public let names: [String]
    private let infos: [String: SafetensorsTensorInfo]
    private let mapping: UnsafeRawBufferPointer  // the whole file
    private let dataStart: Int  // 8 + header length

    /// Maps the file at `url` and validates its header.
    public init(contentsOf url: URL) throws {
        let path = url.path
        self.path = path
        let mapping = try Self.map(path: path)
        do {
            let (headerLength, header) = try Self.parseHeader(of: mapping, path: path)
            dataStart = 8 + headerLength
            metadata = header.metadata
            infos = try Self.validate(header.tensors, dataSize: mapping.count - dataStart, path: path)
            names = infos.keys.sorted()
            self.mapping = mapping
        } catch {
            Self.unmap(mapping)
            throw error
        }
    }

    deinit {
        Self.unmap(mapping)
    }

    public func contains(_ name: String) -> Bool { infos[name] != nil }

    public func info(named name: String) throws -> SafetensorsTensorInfo {
        guard let info = infos[name] else { throw SafetensorsError.missingTensor(path: path, tensor: name) }
        return info
    }

    public func shape(of name: String) throws -> [Int] { try info(named: name).shape }

    public func dtype(of name: String) throws -> SafetensorsDType { try info(named: name).dtype }

    /// The stored bytes of a tensor, little-endian in its dtype; valid while `self` lives.
    public func rawBytes(named name: String) throws -> UnsafeRawBufferPointer {
        let range = try info(named: name).dataRange
        return UnsafeRawBufferPointer(rebasing: mapping[(dataStart + range.lowerBound)..<(dataStart + range.upperBound)])
    }

    /// A tensor's values converted to Float32, row-major.
    public func floats(named name: String) throws -> [Float] {
        let info = try info(named: name)
        let bytes = try rawBytes(named: name)
        return [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            FloatConversion.decode(bytes, dtype: info.dtype, into: buffer)
            initialized = info.elementCount
        }
    }

    /// A BF16 tensor's stored bits, row-major (a copy, so no alignment is assumed), or nil
    /// when the tensor has another dtype. Widening them is exact: `FloatConversion.float(fromBFloat16:)`.
    public func bfloat16Bits(named name: String) throws -> [UInt16]? {
        let info = try info(named: name)
        guard info.dtype == .bfloat16 else { return nil }
        let bytes = try rawBytes(named: name)
        return [UInt16](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            if let source = bytes.baseAddress {
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: source, count: bytes.count))
            }
            initialized = info.elementCount
        }
    }

    /// A tensor converted to Float32.
    public func tensor(named name: String) throws -> Tensor {
        Tensor(shape: try shape(of: name), data: try floats(named: name))
    }

    // MARK: - Opening

    private static func map(path: String) throws -> UnsafeRawBufferPointer {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw SafetensorsError.fileNotFound(path: path) }
            throw SafetensorsError.io(path: path, operation: "open", reason: String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SafetensorsError.io(path: path, operation: "stat", reason: String(cString: strerror(errno)))
        }
        let size = Int(status.st_size)
        guard size >= 8 else {
            throw SafetensorsError.invalidHeaderLength(path: path, headerLength: 0, fileSize: size)
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw SafetensorsError.io(path: path, operation: "mmap", reason: String(cString: strerror(errno)))
        }
        return UnsafeRawBufferPointer(start: base, count: size)
    }

    private static func unmap(_ mapping: UnsafeRawBufferPointer) {
        if let base = mapping.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), mapping.count)
        }
    }

    private static func parseHeader(of mapping: UnsafeRawBufferPointer, path: String) throws -> (Int, RawHeader) {
        let headerLength = UInt64(littleEndian: mapping.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerLength > 0, headerLength <= maximumHeaderLength, headerLength <= UInt64(mapping.count - 8) else {
            throw SafetensorsError.invalidHeaderLength(path: path, headerLength: headerLength, fileSize: mapping.count)
        }
        let length = Int(headerLength)
        let json = Data(mapping[8..<(8 + length)])
        guard json.first == UInt8(ascii: "{") else {
            throw SafetensorsError.invalidHeader(path: path, reason: "does not start with '{'")
        }
        do {
            return (length, try JSONDecoder().decode(RawHeader.self, from: json))
        } catch let error as DecodingError {
            throw SafetensorsError.invalidHeader(path: path, reason: Self.describe(error))
        } catch {
            throw SafetensorsError.invalidHeader(path: path, reason: "\(error)")
        }
    }

    /// Checks each entry, then that the entries' byte ranges tile `0..<dataSize` exactly.
    private static func validate(
        _ entries: [String: RawEntry], dataSize: Int, path: String
    ) throws -> [String: SafetensorsTensorInfo] {
        var infos: [String: SafetensorsTensorInfo] = [:]
        for (name, entry) in entries {
            guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
                throw SafetensorsError.unsupportedDType(path: path, tensor: name, dtype: entry.dtype)
            }
            let offsets = entry.dataOffsets
            guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw SafetensorsError.invalidOffsets(path: path, tensor: name, offsets: offsets)
            }
            let (elementCount, overflow) = entry.shape.reduce((1, false)) { partial, extent in
                let (product, overflow) = partial.0.multipliedReportingOverflow(by: extent)
                return (product, partial.1 || overflow || extent < 0)
            }
            let expectedBytes = elementCount.multipliedReportingOverflow(by: dtype.byteCount)
            let actualBytes = offsets[1] - offsets[0]
            guard !overflow, !expectedBytes.overflow, expectedBytes.partialValue == actualBytes else {
                throw SafetensorsError.sizeMismatch(
                    path: path, tensor: name, shape: entry.shape, dtype: dtype.rawValue,
                    expectedBytes: overflow ? -1 : expectedBytes.partialValue, actualBytes: actualBytes)
            }
            infos[name] = SafetensorsTensorInfo(name: name, dtype: dtype, shape: entry.shape, dataRange: offsets[0]..<offsets[1])
        }
        // Ranges sorted by start (empty tensors first at equal starts) must follow each other.
        let ordered = infos.values.sorted {
            ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name)
        }
        var end = 0
        var previous: String?
        for info in ordered {
            if info.dataRange.lowerBound < end, let previous, !info.dataRange.isEmpty {
                throw SafetensorsError.overlappingTensors(path: path, tensor: info.name, other: previous)
            }
            if info.dataRange.lowerBound > end {
                if info.dataRange.upperBound > dataSize {
                    throw SafetensorsError.truncated(path: path, expectedDataBytes: info.dataRange.upperBound, actualDataBytes: dataSize)
                }
                throw SafetensorsError.uncoveredBytes(path: path, offset: end, count: info.dataRange.lowerBound - end)
            }
            if info.dataRange.upperBound > end {
                end = info.dataRange.upperBound
                previous = info.name
            }
        }
        if end > dataSize {
            throw SafetensorsError.truncated(path: path, expectedDataBytes: end, actualDataBytes: dataSize)
        }
        if end < dataSize {
            throw SafetensorsError.uncoveredBytes(path: path, offset: end, count: dataSize - end)
        }
        return infos
    }

    private static func describe(_ error: DecodingError) -> String {
        func at(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch error {
        case .dataCorrupted(let context): return "invalid JSON\(at(context))"
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)'\(at(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type\(at(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

// MARK: - Header JSON

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct RawEntry: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]

    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }
}

private struct RawHeader: Decodable {
    var metadata: [String: String] = [:]
    var tensors: [String: RawEntry] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                tensors[key.stringValue] = try container.decode(RawEntry.self, forKey: key)
            }
        }
    }
}
