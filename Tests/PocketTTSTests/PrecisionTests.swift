import Kernels
import PocketTTS
import Testing

/// `Precision`, the model's arithmetic policy: its names, and the kernels' arithmetic it selects.
struct PrecisionTests {
    @Test func precisionsParseFromTheirNames() {
        #expect(Precision.allCases.map(\.rawValue) == ["exact", "bf16", "int8"])
        #expect(Precision(rawValue: "int8") == .int8 && Precision(rawValue: "fp16") == nil)
        #expect(Precision.exact.isAccelerated)
    }

    @Test func eachPrecisionSelectsALinearArithmetic() {
        #expect(Precision.allCases.map(\.linearArithmetic) == [.f32, .bf16, .int8])
        #expect(Precision.allCases.allSatisfy { $0.isAccelerated == $0.linearArithmetic.isAccelerated })
        #expect(Precision.recommended == (Precision.int8.isAccelerated ? .int8 : .exact))
    }
}
