import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// BF16 checkpoints keep FlowLM's linear weights as bfloat16 bits, and compute exactly what the
/// f32 path computes on the same (bf16-rounded) values.
@Suite struct BFloat16WeightsTests {
    typealias S = FlowLMTestSupport

    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures/reference"))
    }

    static func flowLM(_ path: URL, keepBFloat16: Bool) throws -> FlowLM {
        let reader = WeightReader(file: try SafetensorsFile(contentsOf: path), keepBFloat16: keepBFloat16)
        return try FlowLM(weights: reader.scoped("flow_lm."), dimensions: S.tiny)
    }

    /// Every linear layer of FlowLM.
    static func linears(_ m: FlowLM) -> [Linear] {
        let layers = m.transformer.layers.flatMap { [$0.inProjection, $0.outProjection, $0.linear1, $0.linear2] }
        let head = m.flowHead
        let embedders = head.timeEmbedders.flatMap { [$0.linear1, $0.linear2] }
        let blocks = head.blocks.flatMap { [$0.linear1, $0.linear2, $0.modulation] }
        return [m.inputLinear, m.outEOS, m.speakerProjection, head.conditionEmbedding, head.inputProjection,
                head.finalLayer.linear, head.finalLayer.modulation] + layers + embedders + blocks
    }

    static func isBFloat16(_ l: Linear) -> Bool {
        if case .bfloat16 = l.weights { return true }
        return false
    }

    @Test func bf16FixtureLoadsIntoTheBFloat16Path() throws {
        let bf16 = try Self.flowLM(try Self.url("tiny_weights_bf16"), keepBFloat16: true)
        #expect(Self.linears(bf16).count == 7 + 4 * S.tiny.layerCount + 4 + 3 * S.tiny.flowDepth)
        #expect(Self.linears(bf16).allSatisfy(Self.isBFloat16))
        // Same values as the decoded file; an f32 file or keepBFloat16: false gives f32 weights.
        let decoded = try Self.flowLM(try Self.url("tiny_weights_bf16"), keepBFloat16: false)
        #expect(Self.linears(decoded).allSatisfy { !Self.isBFloat16($0) })
        #expect(zip(Self.linears(bf16), Self.linears(decoded)).allSatisfy { $0.weight == $1.weight && $0.bias == $1.bias })
        let f32 = try Self.flowLM(try Self.url("tiny_weights"), keepBFloat16: true)
        #expect(Self.linears(f32).allSatisfy { !Self.isBFloat16($0) })
    }

    /// Prompts (few and many rows: CKernels and widened BLAS) and batched steps with B = 1, 3
    /// and 9 streams (two row tiles), bf16 path against f32 on the same values.
    @Test func bf16PathEqualsF32PathOnTheRoundedWeights() throws {
        let bf16 = try Self.flowLM(try Self.url("tiny_weights_bf16"), keepBFloat16: true)
        let f32 = try Self.flowLM(try Self.url("tiny_weights_bf16"), keepBFloat16: false)
        let d = S.tiny.modelDim
        for rows in [1, 5, 40, 70] {
            let x = Tensor.random([rows, d], seed: UInt64(rows))
            var a = bf16.makeState(capacity: 128)
            var b = f32.makeState(capacity: 128)
            let error = S.relativeError(bf16.transformerOutput(forEmbeddings: x, state: &a).data,
                                        f32.transformerOutput(forEmbeddings: x, state: &b).data)
            #expect(error <= 1e-5, "prompt of \(rows) rows: \(error)")
        }
        var voice = f32.makeState(capacity: 64)
        try f32.prompt(textTokens: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3], state: &voice)
        let sampling = FlowLMSampling(temperature: 0.7, eosThreshold: 1e9)
        for streams in [1, 3, 9] {
            var statesA = [FlowLM.State](repeating: voice, count: streams)
            var statesB = statesA
            var generatorsA = (0..<streams).map { SplitMix64(seed: UInt64($0)) }
            var generatorsB = generatorsA
            var (workspaceA, workspaceB) = (FlowLM.Workspace(), FlowLM.Workspace())
            var latents = [[Float]](repeating: [Float](repeating: .nan, count: S.tiny.latentDim), count: streams)
            for step in 0..<3 {
                let a = bf16.stepBatch(latents: latents, states: &statesA, generators: &generatorsA, sampling: sampling,
                                       workspace: &workspaceA)
                let b = f32.stepBatch(latents: latents, states: &statesB, generators: &generatorsB, sampling: sampling,
                                      workspace: &workspaceB)
                let error = S.relativeError(a.flatMap(\.latent) + a.map(\.eosLogit), b.flatMap(\.latent) + b.map(\.eosLogit))
                #expect(error <= 1e-5, "B = \(streams), step \(step): \(error)")
                latents = b.map(\.latent)
            }
        }
    }

    @Test(arguments: [SafetensorsDType.bfloat16, .float32])
    func randomWeightsFilesLoadByTheirDType(dtype: SafetensorsDType) throws {
        let url = RandomWeightsTests.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try TTSModelTests.tinyConfig()
        try RandomWeights.write(config: config, seed: 3, dtype: dtype, to: url, metadata: [:])
        let model = try TTSModel.load(config: config, weightsPath: url.path, tokenizerPath: try TTSModelTests.tokenizerPath())
        #expect(Self.linears(model.flowLM).allSatisfy { Self.isBFloat16($0) == (dtype == .bfloat16) })
        let decoded = try TTSModel.load(config: config, weightsPath: url.path, tokenizerPath: try TTSModelTests.tokenizerPath(),
                                        keepBFloat16: false)
        #expect(Self.linears(decoded.flowLM).allSatisfy { !Self.isBFloat16($0) })
    }
}
