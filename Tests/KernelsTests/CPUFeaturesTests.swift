import CKernels
import Dispatch
import Testing

/// `ck_cpu_features` queries the CPU once (pthread_once): calls racing from many threads all get
/// the one answer.
@Suite struct CPUFeaturesTests {
    @Test func featuresAreTheSameFromEveryThread() {
        let answers = (0..<64).map { _ in Answer() }
        DispatchQueue.concurrentPerform(iterations: answers.count) { answers[$0].value = ck_cpu_features() }
        let first = answers[0].value
        #expect(first != .max && answers.allSatisfy { $0.value == first })
        #expect(ck_cpu_features() == first)
        // BF16 is only reported together with the AVX-512 kernels' features.
        #expect(first & UInt32(CK_FEATURE_AVX512_BF16) == 0 || first & UInt32(CK_FEATURE_AVX512) != 0)
    }
}

/// One thread's answer (each slot is written by one iteration only).
private final class Answer: @unchecked Sendable {
    var value: UInt32 = .max
}
