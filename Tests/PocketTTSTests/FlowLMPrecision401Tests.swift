import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// The reduced precisions on the 4.0.1 tiny configs' shapes (grouped-query attention, d_model
/// 112, 3 heads of 64 with one key/value head, widths that are not multiples of 16): every layer
/// takes the precision, and teacher-forced steps stay close to the exact path.
@Suite struct FlowLMPrecision401Tests {
    typealias R = Reference401

    static let cases: [(String, Precision)] = R.tinyNames.flatMap { name in [(name, Precision.bf16), (name, .int8)] }

    /// The voice, a text prompt (batched over 2 streams), then 12 steps of B = 1 and 3 streams fed
    /// the exact path's latents, against the exact path.
    @Test(arguments: cases)
    func stepsStayCloseToTheExactPath(name: String, precision: Precision) throws {
        let (fast, exact) = (try R.flowLM(name, precision: precision), try R.flowLM(name))
        let arithmetic = precision.linearArithmetic
        #expect(fast.transformer.layers.allSatisfy { $0.inProjection.arithmetic == arithmetic && $0.linear2.arithmetic == arithmetic })
        #expect(fast.transformer.usesOneQueryAttention && fast.transformer.cacheElement == .bfloat16)
        #expect(fast.promptsBatchAcrossStreams)
        let voice = try R.voiceTensors(name)
        let tokens = try #require(R.manifest.models[name]).textTokens
        var prompted = [try fast.makeState(voiceTensors: voice, capacity: 40), try fast.makeState(voiceTensors: voice, capacity: 40)]
        var workspace = FlowLM.Workspace()
        try prompted.withUnsafeMutableBufferPointer { states in
            try fast.prompt(textTokens: [tokens, tokens], states: states, workspace: &workspace)
        }
        var alone = try fast.makeState(voiceTensors: voice, capacity: 40)
        try fast.prompt(textTokens: tokens, state: &alone)
        var exactVoice = try exact.makeState(voiceTensors: voice, capacity: 40)
        try exact.prompt(textTokens: tokens, state: &exactVoice)
        for layer in [0, fast.dimensions.layerCount - 1] {
            #expect(prompted[1].cache.rows(layer: layer, kv: 1) == alone.cache.rows(layer: layer, kv: 1))
        }

        let sampling = FlowLMSampling(temperature: 0.3, lsdSteps: try #require(R.manifest.models[name]).decodeSteps,
                                      eosThreshold: 1e9)
        for streams in [1, 3] {
            let (got, want, gotEOS, wantEOS) = FlowLMPrecisionTests.teacherForced(
                fast: fast, exact: exact, from: (alone, exactVoice), streams: streams, steps: 12, sampling: sampling)
            #expect(got.allSatisfy { $0.isFinite })
            let snr = FlowLMPrecisionTests.snr(got, want)
            let eosSNR = FlowLMPrecisionTests.snr(gotEOS, wantEOS)
            print("FlowLMPrecision401 \(name) \(precision) B=\(streams): latent SNR \(snr) dB, EOS logit SNR \(eosSNR) dB")
            #expect(snr > 30, "\(name) \(precision), B = \(streams): latent SNR \(snr) dB")
        }
    }
}
