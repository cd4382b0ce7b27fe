import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// FlowLM loaded in each precision: which layers take it, and steps that stay close to the
/// exact path's (the tiny bf16 fixture; speed and full-size quality: Benchmarks/).
@Suite struct FlowLMPrecisionTests {
    typealias S = FlowLMTestSupport

    static func flowLM(_ precision: Precision) throws -> FlowLM {
        let file = try SafetensorsFile(contentsOf: try BFloat16WeightsTests.url("tiny_weights_bf16"))
        return try FlowLM(weights: WeightReader(file: file).scoped("flow_lm."), dimensions: S.tiny, precision: precision)
    }

    /// 10 log10(Σ b² / Σ (a − b)²).
    static func snr(_ a: [Float], _ b: [Float]) -> Double {
        let signal = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        let noise = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        return 10 * log10(signal / noise)
    }

    @Test(arguments: Precision.allCases)
    func transformerAndFlowNetTakeThePrecision(precision: Precision) throws {
        let m = try Self.flowLM(precision)
        let small = [m.inputLinear, m.outEOS, m.speakerProjection]
        let large = BFloat16WeightsTests.linears(m).filter { layer in !small.contains { $0.weights == layer.weights } }
        #expect(large.count == 4 + 4 * S.tiny.layerCount + 4 + 3 * S.tiny.flowDepth)
        #expect(large.allSatisfy { $0.arithmetic == precision.linearArithmetic })
        #expect(small.allSatisfy { $0.arithmetic == .f32 && BFloat16WeightsTests.isBFloat16($0) })
    }

    /// A prompt, then steps of B = 1, 3 and 9 streams fed the exact path's latents (teacher
    /// forcing), against the exact path.
    @Test(arguments: [(Precision.bf16, 40.0), (.int8, 30.0)])
    func stepsStayCloseToTheExactPath(precision: Precision, minimumSNR: Double) throws {
        let (fast, exact) = (try Self.flowLM(precision), try Self.flowLM(.exact))
        let tokens = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3]
        var (voiceA, voiceB) = (fast.makeState(capacity: 64), exact.makeState(capacity: 64))
        try fast.prompt(textTokens: tokens, state: &voiceA)
        try exact.prompt(textTokens: tokens, state: &voiceB)
        let sampling = FlowLMSampling(temperature: 0.7, eosThreshold: 1e9)
        for streams in [1, 3, 9] {
            let (got, want, _, _) = Self.teacherForced(fast: fast, exact: exact, from: (voiceA, voiceB), streams: streams,
                                                       steps: 4, sampling: sampling)
            #expect(got.allSatisfy { $0.isFinite })
            let snr = Self.snr(got, want)
            #expect(snr > minimumSNR, "\(precision), B = \(streams): latent SNR \(snr) dB")
        }
    }

    /// `steps` batched steps of `streams` copies of each state, both paths fed the exact path's
    /// latents (teacher forcing): the latents and EOS logits of each, step by step.
    static func teacherForced(fast: FlowLM, exact: FlowLM, from states: (FlowLM.State, FlowLM.State), streams: Int, steps: Int,
                              sampling: FlowLMSampling) -> (got: [Float], want: [Float], gotEOS: [Float], wantEOS: [Float]) {
        var statesA = [FlowLM.State](repeating: states.0, count: streams)
        var statesB = [FlowLM.State](repeating: states.1, count: streams)
        var generatorsA = (0..<streams).map { SplitMix64(seed: UInt64($0)) }
        var generatorsB = generatorsA
        var (workspaceA, workspaceB) = (FlowLM.Workspace(), FlowLM.Workspace())
        var latents = [[Float]](repeating: [Float](repeating: .nan, count: exact.dimensions.latentDim), count: streams)
        var (got, want, gotEOS, wantEOS) = ([Float](), [Float](), [Float](), [Float]())
        for _ in 0..<steps {
            let a = fast.stepBatch(latents: latents, states: &statesA, generators: &generatorsA, sampling: sampling, workspace: &workspaceA)
            let b = exact.stepBatch(latents: latents, states: &statesB, generators: &generatorsB, sampling: sampling, workspace: &workspaceB)
            got += a.flatMap(\.latent)
            want += b.flatMap(\.latent)
            gotEOS += a.map(\.eosLogit)
            wantEOS += b.map(\.eosLogit)
            latents = b.map(\.latent)
        }
        return (got, want, gotEOS, wantEOS)
    }

    @Test func modelLoadPassesThePrecision() throws {
        let url = RandomWeightsTests.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try TTSModelTests.tinyConfig()
        try RandomWeights.write(config: config, seed: 3, dtype: .bfloat16, to: url, metadata: [:])
        let model = try TTSModel.load(config: config, weightsPath: url.path, tokenizerPath: try TTSModelTests.tokenizerPath(),
                                      precision: .int8)
        #expect(model.flowLM.transformer.layers.allSatisfy { $0.linear1.arithmetic == .int8 })
        #expect(model.flowLM.flowHead.blocks.allSatisfy { $0.modulation.arithmetic == .int8 })
        let demo = try TTSModel.demo(config: config, seed: 3, tokenizer: model.tokenizer, precision: .bf16)
        #expect(demo.flowLM.transformer.layers.allSatisfy { $0.inProjection.arithmetic == .bf16 })
    }
}
