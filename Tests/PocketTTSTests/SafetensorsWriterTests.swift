import Foundation
import Kernels
import Testing

@testable import PocketTTS

@Suite struct SafetensorsWriterTests {
    static func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString).safetensors")
    }

    /// Re-writes every tensor of the Python F32 fixture (added in reverse order) as `dtype`.
    static func rewrite(as dtype: SafetensorsDType) throws -> [UInt8] {
        let source = try SafetensorsFile(contentsOf: SafetensorsFileTests.fixture("f32"))
        var writer = SafetensorsWriter(metadata: source.metadata)
        for name in source.names.reversed() {
            try writer.add(name, try source.tensor(named: name), dtype: dtype)
        }
        return try writer.serialized()
    }

    @Test func f32OutputIsByteIdenticalToPythonLibrary() throws {
        let expected = try [UInt8](Data(contentsOf: SafetensorsFileTests.fixture("f32")))
        #expect(try Self.rewrite(as: .float32) == expected)
    }

    @Test func bf16OutputIsByteIdenticalToTorchRounding() throws {
        let expected = try [UInt8](Data(contentsOf: SafetensorsFileTests.fixture("bf16")))
        #expect(try Self.rewrite(as: .bfloat16) == expected)
    }

    @Test func headerStringsAreEscaped() throws {
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let odd = "tab\t nl\n cr\r bell\u{7} quote\" backslash\\ é 😀"
        var writer = SafetensorsWriter(metadata: [odd: odd])
        try writer.add("w/\(odd)", shape: [1], values: [2])
        try writer.write(to: url)
        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.metadata == [odd: odd])
        #expect(try file.floats(named: "w/\(odd)") == [2])
        #expect(SafetensorsWriter.jsonString("\u{1}\"") == "\"\\u0001\\\"\"")
    }

    @Test func roundTripF32AndBF16WithMetadata() throws {
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let weight = Tensor(shape: [2, 3], data: [1, -2, 3.25, 1e-30, -7e5, 0.1])
        let odd = Tensor(shape: [3], data: [1.00390625, 1.01171875, -0.3])  // bf16 ties
        var writer = SafetensorsWriter(metadata: ["seed": "0", "config": "b6369a24"])
        try writer.add("z.weight", weight)
        try writer.add("a.odd", odd, dtype: .bfloat16)
        try writer.add("m.empty", shape: [0], values: [])
        try writer.write(to: url)

        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.names == ["a.odd", "m.empty", "z.weight"])
        #expect(file.metadata == ["seed": "0", "config": "b6369a24"])
        #expect(try file.tensor(named: "z.weight") == weight)
        #expect(try file.dtype(of: "a.odd") == .bfloat16)
        #expect(try file.floats(named: "a.odd") == [1.0, 1.015625, -0.30078125])
        #expect(try file.shape(of: "m.empty") == [0])
        // Header padded so the data starts 8-byte aligned.
        let bytes = try [UInt8](Data(contentsOf: url))
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength % 8 == 0)
        #expect(bytes.count == 8 + headerLength + 6 + 0 + 24)
        #expect(try file.info(named: "a.odd").dataRange == 0..<6)
        #expect(try file.info(named: "z.weight").dataRange == 6..<30)
    }

    @Test func streamingWriteMatchesCollectedWrite() throws {
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let declarations = [
            SafetensorsWriter.Declaration(name: "b", dtype: .bfloat16, shape: [4]),
            SafetensorsWriter.Declaration(name: "a", dtype: .float32, shape: [2, 2]),
        ]
        var asked: [String] = []
        try SafetensorsWriter.write(to: url, declarations: declarations, metadata: ["k": "v"]) { declaration in
            asked.append(declaration.name)
            return (0..<declaration.elementCount).map { Float($0) + 0.5 }
        }
        #expect(asked == ["a", "b"])
        var writer = SafetensorsWriter(metadata: ["k": "v"])
        try writer.add("b", shape: [4], values: [0.5, 1.5, 2.5, 3.5], dtype: .bfloat16)
        try writer.add("a", shape: [2, 2], values: [0.5, 1.5, 2.5, 3.5])
        #expect(try [UInt8](Data(contentsOf: url)) == (try writer.serialized()))
    }

    @Test func rejectsBadInput() throws {
        var writer = SafetensorsWriter()
        try writer.add("w", shape: [2], values: [1, 2])
        #expect(throws: SafetensorsError.invalidTensorName("w")) { try writer.add("w", shape: [1], values: [1]) }
        #expect(throws: SafetensorsError.invalidTensorName("__metadata__")) {
            try writer.add("__metadata__", shape: [1], values: [1])
        }
        #expect(throws: SafetensorsError.valueCountMismatch(tensor: "v", shape: [2, 2], count: 3)) {
            try writer.add("v", shape: [2, 2], values: [1, 2, 3])
        }
        #expect(throws: SafetensorsError.unwritableDType(tensor: "h", dtype: .float16)) {
            try writer.add("h", shape: [1], values: [1], dtype: .float16)
        }
        let declarations = [SafetensorsWriter.Declaration(name: "x", dtype: .float32, shape: [3])]
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: SafetensorsError.valueCountMismatch(tensor: "x", shape: [3], count: 2)) {
            try SafetensorsWriter.write(to: url, declarations: declarations) { _ in [1, 2] }
        }
        let unwritable = URL(fileURLWithPath: "/nonexistent/dir/out.safetensors")
        #expect(performing: { try writer.write(to: unwritable) }, throws: { error in
            guard case .io(let path, "open for writing", _) = error as? SafetensorsError else { return false }
            return path == unwritable.path
        })
    }

    @Test func bfloat16RoundingRules() {
        func bits(_ value: Float) -> UInt16 { FloatConversion.bfloat16(from: value) }
        #expect(bits(1.0) == 0x3F80)
        #expect(bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even below
        #expect(bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, even above
        #expect(bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(bits(.greatestFiniteMagnitude) == 0x7F80)
        #expect(bits(-.infinity) == 0xFF80)
        #expect(bits(.nan) == 0x7FC0)
        #expect(FloatConversion.float(fromBFloat16: 0xC049) == -3.140625)
        #expect(FloatConversion.float(fromFloat16: 0x3C00) == 1.0)
        #expect(FloatConversion.float(fromFloat16: 0x0001) == 0x1p-24)
        #expect(FloatConversion.float(fromFloat16: 0xFC00) == -.infinity)
        #expect(FloatConversion.float(fromFloat16: 0x7E00).isNaN)
    }
}
