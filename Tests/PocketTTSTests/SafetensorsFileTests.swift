import Foundation
import Kernels
import Testing

@testable import PocketTTS

/// Reading: files written by the Python `safetensors` library
/// (Scripts/reference/make_safetensors_fixtures.py) and hand-crafted bad files.
@Suite struct SafetensorsFileTests {
    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures/safetensors"))
    }

    @Test func readsPythonF32File() throws {
        let file = try SafetensorsFile(contentsOf: Self.fixture("f32"))
        #expect(file.names == ["a.bias", "edges", "empty", "normal.weight", "scalar"])
        #expect(file.metadata == ["note": "quote \" backslash \\ tab \t é"])
        #expect(try file.shape(of: "normal.weight") == [3, 4, 5])
        #expect(try file.shape(of: "empty") == [0, 3])
        #expect(try file.shape(of: "scalar") == [])
        #expect(try file.dtype(of: "edges") == .float32)
        #expect(try file.floats(named: "scalar") == [2.5])
        #expect(try file.floats(named: "empty").isEmpty)
        let edges = try file.floats(named: "edges").map(\.bitPattern)
        #expect(edges == [0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x3F80_7FFF, 0xBF81_8000,
                          0x7F7F_FFFF, 0x0000_0001, 0x8000_0000, 0x7F80_0000, 0xFF80_0000])
        let tensor = try file.tensor(named: "normal.weight")
        #expect(tensor.shape == [3, 4, 5] && tensor.data.count == 60)
        #expect(tensor.data.allSatisfy { $0.isFinite } && Set(tensor.data).count == 60)
    }

    @Test func readsPythonBF16FileAsRoundedFloats() throws {
        let f32 = try SafetensorsFile(contentsOf: Self.fixture("f32"))
        let bf16 = try SafetensorsFile(contentsOf: Self.fixture("bf16"))
        #expect(bf16.names == f32.names)
        #expect(try bf16.dtype(of: "normal.weight") == .bfloat16)
        // Edge cases rounded to nearest even by torch, top 16 bits.
        let edges = try bf16.floats(named: "edges").map { $0.bitPattern >> 16 }
        #expect(edges == [0x3F80, 0x3F82, 0x3F81, 0x3F80, 0xBF82, 0x7F80, 0x0000, 0x8000, 0x7F80, 0xFF80])
        let exact = try f32.floats(named: "normal.weight")
        let rounded = try bf16.floats(named: "normal.weight")
        for (value, approximation) in zip(exact, rounded) {
            #expect(abs(value - approximation) <= abs(value) * 0x1p-8)
            #expect(approximation.bitPattern & 0xFFFF == 0)
        }
        #expect(try bf16.rawBytes(named: "normal.weight").count == 60 * 2)
    }

    @Test func readsPythonF16FileExactly() throws {
        let file = try SafetensorsFile(contentsOf: Self.fixture("f16"))
        #expect(try file.dtype(of: "x") == .float16)
        #expect(try file.dtype(of: "x_as_f32") == .float32)
        let half = try file.floats(named: "x").map(\.bitPattern)
        let reference = try file.floats(named: "x_as_f32").map(\.bitPattern)
        #expect(half.count == 26)
        #expect(half == reference)
    }

    @Test func rawBytesAreTheStoredBytes() throws {
        let url = try Self.fixture("f32")
        let file = try SafetensorsFile(contentsOf: url)
        let raw = try file.rawBytes(named: "scalar")
        #expect(Array(raw) == Array(withUnsafeBytes(of: Float(2.5).bitPattern.littleEndian, Array.init)))
        // Located where the header says, in the file on disk.
        let bytes = try [UInt8](Data(contentsOf: url))
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let range = try file.info(named: "scalar").dataRange
        #expect(Array(bytes[(8 + headerLength + range.lowerBound)..<(8 + headerLength + range.upperBound)]) == Array(raw))
    }

    @Test func missingTensorNamesTheTensor() throws {
        let file = try SafetensorsFile(contentsOf: Self.fixture("f32"))
        #expect(throws: SafetensorsError.missingTensor(path: file.path, tensor: "nope")) {
            try file.floats(named: "nope")
        }
        #expect(!file.contains("nope") && file.contains("edges"))
    }

    // MARK: - Bad files

    /// Writes `header` (length-prefixed, unpadded) followed by `data` to a fresh temp file.
    static func craft(header: String, data: [UInt8], lengthOverride: UInt64? = nil) throws -> URL {
        let headerBytes = Array(header.utf8)
        let length = lengthOverride ?? UInt64(headerBytes.count)
        let bytes = withUnsafeBytes(of: length.littleEndian, Array.init) + headerBytes + data
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("safetensors-test-\(UUID().uuidString).safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    static func open(_ url: URL) throws {
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try SafetensorsFile(contentsOf: url)
    }

    @Test func missingFile() {
        let path = "/nonexistent/dir/model.safetensors"
        #expect(throws: SafetensorsError.fileNotFound(path: path)) {
            _ = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
        }
    }

    @Test func tooShortForAHeaderLength() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("short-\(UUID().uuidString)")
        try Data([1, 2, 3]).write(to: url)
        #expect(throws: SafetensorsError.invalidHeaderLength(path: url.path, headerLength: 0, fileSize: 3)) {
            try Self.open(url)
        }
    }

    @Test func headerLengthPastEndOfFile() throws {
        let url = try Self.craft(header: "{}", data: [], lengthOverride: 1_000)
        #expect(throws: SafetensorsError.invalidHeaderLength(path: url.path, headerLength: 1_000, fileSize: 10)) {
            try Self.open(url)
        }
    }

    @Test func textFileIsNotSafetensors() throws {
        // A text file: its first 8 bytes read as a huge header length.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("text-\(UUID().uuidString)")
        try Data("hello, this is not a model file\n".utf8).write(to: url)
        #expect(performing: { try Self.open(url) }, throws: { error in
            guard case .invalidHeaderLength(_, let length, 32) = error as? SafetensorsError else { return false }
            return length > 32
        })
    }

    @Test func nonJSONHeader() throws {
        let url = try Self.craft(header: "{not json at all}", data: [])
        #expect(performing: { try Self.open(url) }, throws: { error in
            guard case .invalidHeader(let path, let reason) = error as? SafetensorsError else { return false }
            return path == url.path && reason.contains("invalid JSON")
        })
        let notAnObject = try Self.craft(header: "[1, 2, 3]", data: [])
        #expect(throws: SafetensorsError.invalidHeader(path: notAnObject.path, reason: "does not start with '{'")) {
            try Self.open(notAnObject)
        }
    }

    @Test func headerEntryOfWrongForm() throws {
        let url = try Self.craft(header: #"{"w":{"dtype":"F32","shape":[2]}}"#, data: [UInt8](repeating: 0, count: 8))
        #expect(performing: { try Self.open(url) }, throws: { error in
            guard case .invalidHeader(_, let reason) = error as? SafetensorsError else { return false }
            return reason.contains("data_offsets") && reason.contains("w")
        })
    }

    @Test func unknownDType() throws {
        let url = try Self.craft(header: #"{"ids":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#,
                                 data: [UInt8](repeating: 0, count: 8))
        #expect(throws: SafetensorsError.unsupportedDType(path: url.path, tensor: "ids", dtype: "I32")) {
            try Self.open(url)
        }
    }

    @Test func truncatedData() throws {
        // A valid file cut short by 3 bytes.
        let full = try [UInt8](Data(contentsOf: Self.fixture("f32")))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString)")
        try Data(full.dropLast(3)).write(to: url)
        #expect(throws: SafetensorsError.truncated(path: url.path, expectedDataBytes: 312, actualDataBytes: 309)) {
            try Self.open(url)
        }
    }

    @Test func offsetsOutOfRange() throws {
        let header = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#
        let url = try Self.craft(header: header, data: [UInt8](repeating: 0, count: 8))
        #expect(throws: SafetensorsError.invalidOffsets(path: url.path, tensor: "a", offsets: [8, 4])) {
            try Self.open(url)
        }
        let negative = try Self.craft(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, data: [])
        #expect(throws: SafetensorsError.invalidOffsets(path: negative.path, tensor: "a", offsets: [-4, 0])) {
            try Self.open(negative)
        }
        let pastEnd = try Self.craft(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
                                     data: [UInt8](repeating: 0, count: 8))
        #expect(throws: SafetensorsError.truncated(path: pastEnd.path, expectedDataBytes: 16, actualDataBytes: 8)) {
            try Self.open(pastEnd)
        }
    }

    @Test func overlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let url = try Self.craft(header: header, data: [UInt8](repeating: 0, count: 12))
        #expect(throws: SafetensorsError.overlappingTensors(path: url.path, tensor: "b", other: "a")) {
            try Self.open(url)
        }
    }

    @Test func sizeNotShapeTimesDType() throws {
        let header = #"{"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,24]}}"#
        let url = try Self.craft(header: header, data: [UInt8](repeating: 0, count: 24))
        #expect(throws: SafetensorsError.sizeMismatch(
            path: url.path, tensor: "w", shape: [2, 3], dtype: "BF16", expectedBytes: 12, actualBytes: 24)) {
            try Self.open(url)
        }
    }

    @Test func bytesCoveredByNoTensor() throws {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let gapURL = try Self.craft(header: gap, data: [UInt8](repeating: 0, count: 12))
        #expect(throws: SafetensorsError.uncoveredBytes(path: gapURL.path, offset: 4, count: 4)) {
            try Self.open(gapURL)
        }
        let trailing = try Self.craft(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                                      data: [UInt8](repeating: 0, count: 6))
        #expect(throws: SafetensorsError.uncoveredBytes(path: trailing.path, offset: 4, count: 2)) {
            try Self.open(trailing)
        }
    }

    @Test func errorsDescribeTheProblem() {
        let error = SafetensorsError.sizeMismatch(
            path: "m.safetensors", tensor: "w", shape: [2, 3], dtype: "BF16", expectedBytes: 12, actualBytes: 24)
        #expect(error.description.contains("m.safetensors") && error.description.contains("'w'"))
        #expect(SafetensorsError.fileNotFound(path: "x").description == "x: no such file")
    }
}
