import Kernels
import Testing
@testable import PocketTTS

@Suite struct FlowLMLoadingTests {
    typealias S = FlowLMTestSupport

    func load(_ tensors: [String: Tensor]) throws {
        let reader = WeightReader(tensors: tensors)
        _ = try FlowLM(weights: reader.scoped("flow_lm."), dimensions: S.tiny)
        try reader.finish()
    }

    @Test func takesEveryFlowLMTensor() throws {
        let weights = S.randomWeights(S.tiny, seed: 4)
        #expect(weights.count == 18 + 8 * S.tiny.layerCount + 12 + 8 * S.tiny.flowDepth)
        try load(weights)
    }

    @Test func missingTensorIsNamed() {
        var weights = S.randomWeights(S.tiny, seed: 4)
        weights["flow_lm.flow_net.res_blocks.1.in_ln.bias"] = nil
        #expect(throws: WeightError.missingTensor("flow_lm.flow_net.res_blocks.1.in_ln.bias")) { try load(weights) }
    }

    @Test func extraTensorIsNamed() {
        var weights = S.randomWeights(S.tiny, seed: 4)
        weights["flow_lm.transformer.layers.2.norm1.weight"] = .zeros([64])
        #expect(throws: WeightError.unusedTensors(["flow_lm.transformer.layers.2.norm1.weight"])) { try load(weights) }
    }

    @Test func misshapedTensorIsNamed() {
        var weights = S.randomWeights(S.tiny, seed: 4)
        weights["flow_lm.transformer.layers.1.linear1.weight"] = .zeros([256, 63])
        #expect(throws: WeightError.shape(name: "flow_lm.transformer.layers.1.linear1.weight",
                                          expected: [256, 64], got: [256, 63])) { try load(weights) }
        weights = S.randomWeights(S.tiny, seed: 4)
        weights["flow_lm.speaker_proj_weight"] = .zeros([32, 64])
        #expect(throws: WeightError.shape(name: "flow_lm.speaker_proj_weight", expected: [64, 32], got: [32, 64])) {
            try load(weights)
        }
    }

    @Test func invalidDimensionsAreRejected() {
        var dims = S.tiny
        dims.headCount = 3
        #expect(throws: FlowLMError.self) { try dims.validate() }
        #expect(throws: Never.self) { try FlowLMDimensions.b6369a24.validate() }
    }
}

@Suite struct GaussianNoiseTests {
    func sample(count: Int, std: Float, clamp: Float?, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var x = [Float](repeating: .nan, count: count)
        x.withUnsafeMutableBufferPointer { GaussianNoise.fill($0.baseAddress!, count: count, std: std, clamp: clamp, using: &rng) }
        return x
    }

    func moments(_ x: [Float]) -> (mean: Double, variance: Double) {
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count)
        return (mean, variance)
    }

    @Test func normalHasTheRequestedSpread() {
        let (mean, variance) = moments(sample(count: 40_001, std: 2, clamp: nil, seed: 1))
        #expect(abs(mean) < 0.05)
        #expect(abs(variance - 4) < 0.15)
    }

    @Test func truncatedStaysInBoundsWithTheTruncatedVariance() {
        // Var of N(0, 1) truncated to ±c: 1 − 2c·φ(c) / (2Φ(c) − 1).
        for (clamp, expectedVariance) in [(Float(3), 0.97334), (0.5, 0.08057)] {
            let x = sample(count: 40_000, std: 1, clamp: clamp, seed: 2)
            #expect(x.allSatisfy { abs($0) <= clamp })
            #expect(abs(moments(x).variance - expectedVariance) < 0.03 * expectedVariance + 0.005)
        }
    }

    @Test func zeroStdGivesZeros() {
        #expect(sample(count: 7, std: 0, clamp: nil, seed: 3) == [Float](repeating: 0, count: 7))
    }
}
