import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// Golden parity of FlowLM against pocket-tts 4.0.1 (Fixtures/reference401): the three tiny
/// configs at their full size and shrunk versions of the lsd, drifting, english_2026-01 and
/// flow_matching families; the voice prompt and the state it leaves, then a text prompt and 40
/// steps at temperature 0, within 1e-4 (relative to max(1, max |reference|)).
@Suite struct FlowLMParity401Tests {
    typealias R = Reference401

    static let tolerance: Float = 1e-4

    func expectClose(_ got: [Float], _ want: [Float], _ what: String, tolerance: Float = tolerance,
                     sourceLocation: SourceLocation = #_sourceLocation) -> Float {
        #expect(got.count == want.count, "\(what): count \(got.count), expected \(want.count)", sourceLocation: sourceLocation)
        guard got.count == want.count else { return .infinity }
        let error = FlowLMTestSupport.relativeError(got, want)
        #expect(error <= tolerance, "\(what): relative error \(error)", sourceLocation: sourceLocation)
        return error
    }

    /// Voice prompt (projection, bos_before_voice), the voice state against the reference's
    /// export, then the text prompt and 40 steps from the reference's voice state.
    @Test(arguments: Reference401.modelNames)
    func voicePromptAndStepsMatchTheReference(name: String) throws {
        let model = try R.flowLM(name)
        let info = try #require(R.manifest.models[name])
        let fixture = try R.fixture(name)
        let dims = model.dimensions

        let prompt = try model.voicePrompt(latents: try fixture.tensor(named: "voice_latents"))
        let want = try fixture.tensor(named: "voice_prompt")
        #expect(prompt.shape == want.shape)
        _ = expectClose(prompt.data, want.data, "\(name) voice prompt", tolerance: 1e-6)

        var voice = model.makeState(capacity: prompt.shape[0])
        try model.prompt(conditioning: prompt, state: &voice)
        let reference = try R.voiceTensors(name)
        let ours = model.voiceTensors(of: voice)
        #expect(Set(ours.keys) == Set(reference.keys))
        for (key, tensor) in reference {
            let mine = try #require(ours[key], "\(key)")
            #expect(mine.shape == tensor.shape, "\(key)")
            if key.hasSuffix("/cache") {
                _ = expectClose(mine.data, tensor.data, "\(name) \(key)", tolerance: 1e-5)
                #expect(tensor.shape[3] == dims.keyValueHeadCount && tensor.shape[4] == dims.headDim)
            } else {
                #expect(mine == tensor, "\(key)")
            }
        }

        // Generation from the reference's own file (4.0.1's import path).
        var state = try model.makeState(voiceTensors: reference, capacity: prompt.shape[0] + info.textTokens.count + info.frames)
        #expect(state.length == prompt.shape[0])
        try model.prompt(textTokens: info.textTokens, state: &state)
        let (latents, logits) = R.generate(model, state: &state, frames: info.frames, steps: info.decodeSteps)
        let latentError = expectClose(latents, try fixture.tensor(named: "latents").data, "\(name) latents")
        let eosError = expectClose(logits, try fixture.tensor(named: "eos_logits").data, "\(name) EOS logits")
        print("FlowLMParity401 \(name): max relative error latents \(latentError), EOS logits \(eosError)")
    }

    /// The config's switches reach the model (so the parity above covers what it claims).
    @Test func modelsHaveTheirFeatures() throws {
        let two = try R.flowLM("english_2m_2026-10")
        #expect(two.dimensions.keyValueHeadCount == 1 && two.dimensions.attentionDim == 192 && two.dimensions.headDim == 64)
        #expect(two.transformer.attention.keyValueHeads == 1 && two.transformer.keyValueDim == 64)
        #expect(two.zProjection?.outFeatures == 64 && two.outEOS.inFeatures == 64 && two.flowHead.conditionDim == 64)
        #expect(two.flowHead.flowType == .pointwise && two.flowHead.timeEmbedders.isEmpty)
        #expect(two.bosBeforeVoice?.count == 112 && two.dimensions.lookupRank == 32)
        #expect(two.transformer.geluApproximation == .tanh && two.transformer.feedForwardDim == 96)
        #expect(try R.flowLM("english_7m_2026-10").flowHead.flowType == .drifting)
        #expect(try R.flowLM("shrunk_english").flowHead.timeEmbedders.count == 2)
        #expect(try R.flowLM("shrunk_flow_matching").flowHead.timeEmbedders.count == 1)
        let old = try R.flowLM("shrunk_english_2026-01")
        #expect(old.bosBeforeVoice == nil && old.zProjection == nil && old.dimensions.speakerDim == 512)
    }

    /// Our export is what 4.0.1's `export_model_state` writes: the same names, dtypes and
    /// shapes (offset and pad int64), values within float rounding; and it reads back.
    @Test(arguments: ["english_2m_2026-10", "shrunk_english_2026-01"])
    func exportedVoiceStateHasTheReferenceForm(name: String) throws {
        let model = try R.flowLM(name)
        let fixture = try R.fixture(name)
        var voice = model.makeState(capacity: 8)
        try model.prompt(conditioning: try model.voicePrompt(latents: try fixture.tensor(named: "voice_latents")), state: &voice)
        var writer = SafetensorsWriter()
        for (key, tensor) in model.voiceTensors(of: voice) {
            try writer.add(key, tensor, dtype: FlowLM.voiceTensorDType(name: key))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("voice401-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try writer.write(to: url)
        let ours = try SafetensorsFile(contentsOf: url)
        let reference = try SafetensorsFile(contentsOf: R.directory.appendingPathComponent("\(name)_voice.safetensors"))
        #expect(ours.names == reference.names)
        for key in reference.names {
            #expect(try ours.dtype(of: key) == reference.dtype(of: key), "\(key)")
            #expect(try ours.shape(of: key) == reference.shape(of: key), "\(key)")
        }
        let back = try model.makeState(voiceTensors: try Dictionary(uniqueKeysWithValues: ours.names.map {
            ($0, try ours.tensor(named: $0))
        }))
        #expect(model.voiceTensors(of: back) == model.voiceTensors(of: voice))
    }
}
