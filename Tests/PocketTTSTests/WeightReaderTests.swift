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
