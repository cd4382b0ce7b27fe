import Foundation
import Kernels
import Testing
@testable import PocketTTS

@Suite struct WeightReaderTests {
    func reader() -> WeightReader {
        WeightReader(tensors: [
            "a.w": Tensor.zeros([2, 3]),
            "a.b": Tensor.zeros([2]),
            "c": Tensor.zeros([1]),
        ])
    }

    @Test func takesScopedTensorsAndFinishes() throws {
        let r = reader()
        let a = r.scoped("a.")
        #expect(try a.tensor("w", shape: [2, 3]).shape == [2, 3])
        #expect(try a.floats("b", shape: [2]).count == 2)
        _ = try r.tensor("c", shape: [1])
        try r.finish()
    }

    @Test func missingTensorIsNamed() {
        #expect(throws: WeightError.missingTensor("a.x")) { try reader().scoped("a.").tensor("x", shape: [1]) }
    }

    @Test func wrongShapeIsNamed() {
        #expect(throws: WeightError.shape(name: "a.w", expected: [3, 2], got: [2, 3])) {
            try reader().tensor("a.w", shape: [3, 2])
        }
    }

    @Test func unusedTensorsAreNamed() throws {
        let r = reader()
        _ = try r.tensor("c", shape: [1])
        #expect(throws: WeightError.unusedTensors(["a.b", "a.w"])) { try r.finish() }
    }
}

/// A reader over a safetensors file: linear weights stay bfloat16 when stored so.
@Suite struct WeightReaderFileTests {
    static let values: [Float] = [1, -2, 3.25, 1e-30, -7e5, 0.1]

    /// w: BF16 [2, 3], v: F32 [2, 3], b: BF16 [2].
    func withFile(_ body: (SafetensorsFile) throws -> Void) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reader-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        var writer = SafetensorsWriter()
        try writer.add("l.w", shape: [2, 3], values: Self.values, dtype: .bfloat16)
        try writer.add("l.v", shape: [2, 3], values: Self.values)
        try writer.add("l.b", shape: [2], values: [0.5, 3], dtype: .bfloat16)
        try writer.write(to: url)
        try body(try SafetensorsFile(contentsOf: url))
    }

    @Test func linearWeightsKeepBFloat16Bits() throws {
        try withFile { (file: SafetensorsFile) throws in
            let r = WeightReader(file: file)
            let l = r.scoped("l.")
            #expect(try l.linearWeights("w", shape: [2, 3]) == .bfloat16(Self.values.map(FloatConversion.bfloat16(from:))))
            #expect(try l.linearWeights("v", shape: [2, 3]) == .float32(Self.values))
            #expect(try l.floats("b", shape: [2]) == [0.5, 3])
            try r.finish()
            #expect(try file.bfloat16Bits(named: "l.v") == nil)
        }
    }

    @Test func decodesWhenNotKeepingBFloat16() throws {
        try withFile { (file: SafetensorsFile) throws in
            let r = WeightReader(file: file, keepBFloat16: false)
            let rounded = Self.values.map { FloatConversion.float(fromBFloat16: FloatConversion.bfloat16(from: $0)) }
            #expect(try r.linearWeights("l.w", shape: [2, 3]) == .float32(rounded))
            #expect(try r.tensor("l.v", shape: [2, 3]).data == Self.values)
            #expect(throws: WeightError.unusedTensors(["l.b"])) { try r.finish() }
        }
    }

    @Test func errorsNameTheTensor() throws {
        try withFile { (file: SafetensorsFile) throws in
            let r = WeightReader(file: file)
            #expect(throws: WeightError.shape(name: "l.w", expected: [3, 2], got: [2, 3])) {
                try r.linearWeights("l.w", shape: [3, 2])
            }
            #expect(throws: WeightError.missingTensor("l.x")) { try r.linearWeights("l.x", shape: [2, 3]) }
            #expect(throws: WeightError.missingTensor("l.y")) { try r.tensor("l.y", shape: [1]) }
            #expect(r.contains("l.b") && !r.scoped("l.").contains("x"))
            #expect(throws: WeightError.unusedTensors(["l.b", "l.v", "l.w"])) { try r.finish() }
        }
    }
}
