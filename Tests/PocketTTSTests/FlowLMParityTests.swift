import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// Golden parity of FlowLM against pocket-tts 1.1.1 on the tiny model
/// (Fixtures/reference, see its MANIFEST.md: `flowlm/*`, `flow/*`, `lsd/*`, `voice/*`, `e2e/*`).
@Suite struct FlowLMParityTests {
    typealias S = FlowLMTestSupport
    let model: FlowLM
    let modules: SafetensorsFile
    let manifest: [String: Any]

    static func url(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/reference"))
    }

    init() throws {
        var config = try PocketTTSConfig(contentsOf: try Self.url("tiny", "yaml"))
        config = config.asPocketTTS111()  // the fixtures are pocket-tts 1.1.1's
        let dims = try FlowLMDimensions(config: config)
        #expect(dims == S.tiny)
        let weights = try SafetensorsFile(contentsOf: try Self.url("tiny_weights", "safetensors"))
        let reader = WeightReader(tensors: try Dictionary(uniqueKeysWithValues: weights.names.map {
            ($0, try weights.tensor(named: $0))
        }))
        model = try FlowLM(weights: reader.scoped("flow_lm."), dimensions: dims, precision: .exact)
        // Every flow_lm.* tensor was taken; only Mimi's are left.
        do {
            try reader.finish()
        } catch let WeightError.unusedTensors(names) {
            #expect(!names.isEmpty && names.allSatisfy { $0.hasPrefix("mimi.") })
        }
        modules = try SafetensorsFile(contentsOf: try Self.url("modules", "safetensors"))
        let data = try Data(contentsOf: try Self.url("manifest", "json"))
        manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func fixture(_ name: String) throws -> Tensor { try modules.tensor(named: name) }

    /// max |got − want| ≤ tolerance · max(1, max |want|).
    func expectClose(_ got: [Float], _ want: Tensor, _ what: String, tolerance: Float = 1e-5,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, "\(what): count", sourceLocation: sourceLocation)
        guard got.count == want.count else { return }
        let error = S.relativeError(got, want.data)
        #expect(error <= tolerance, "\(what): relative error \(error)", sourceLocation: sourceLocation)
    }

    @Test func promptTransformerEOSAndFlowMatch() throws {
        let info = try #require(manifest["flowlm"] as? [String: Any])
        let tokens = try #require(info["tokens"] as? [Int])
        let textEmbeddings = try model.textEmbeddings(tokens)
        expectClose(textEmbeddings.data, try fixture("flowlm/prompt_text_emb"), "text embeddings", tolerance: 0)
        // One call over cat[text_emb, input_linear(latents)], as the reference's prompt call.
        var state = model.makeState(capacity: try #require(info["state_capacity"] as? Int))
        let latents = try fixture("flowlm/prompt_latents_in")
        let x = S.concat([textEmbeddings, model.latentEmbeddings(latents)])
        let hidden = model.transformerOutput(forEmbeddings: x, state: &state)
        expectClose(hidden.data, try fixture("flowlm/prompt_transformer_out"), "transformer out")
        let normed = model.outNorm(hidden)
        expectClose(normed.data, try fixture("flowlm/prompt_out_norm"), "out_norm")
        let last = S.rows(normed, x.shape[0] - 1..<x.shape[0])
        expectClose(model.outEOS(last).data, try fixture("flowlm/prompt_eos_logit"), "prompt EOS")
        let next = model.flowHead.decode(condition: last, x0: .zeros([1, 32]), steps: 1)
        expectClose(next.data, try fixture("flowlm/prompt_next_latent"), "prompt next latent")

        // Two temperature-0 steps continuing the same state, each fed the previous latent.
        let sampling = FlowLMSampling(temperature: 0, lsdSteps: 1)
        let steps = try #require(info["steps"] as? [[String: Any]])
        var rng = SplitMix64(seed: 0)
        var latent = try fixture("flowlm/prompt_next_latent").data
        for k in 0..<2 {
            let out = model.step(latent: latent, state: &state, sampling: sampling, using: &rng)
            expectClose(out.latent, try fixture("flowlm/step\(k)_next_latent"), "step \(k) latent")
            expectClose([out.eosLogit], try fixture("flowlm/step\(k)_eos_logit"), "step \(k) EOS")
            #expect(out.isEndOfSpeech == (steps[k]["is_eos_at_default_threshold"] as? Bool))
            latent = out.latent
        }
        #expect(state.length == info["current_end_after"] as? Int)
    }

    @Test func flowNetMatches() throws {
        let head = model.flowHead
        let (c, s, t, x) = (try fixture("flow/c"), try fixture("flow/s"), try fixture("flow/t"), try fixture("flow/x"))
        expectClose(head.timeEmbedders[0](s).data, try fixture("flow/time_embed0_s"), "time_embed[0](s)")
        expectClose(head.timeEmbedders[1](t).data, try fixture("flow/time_embed1_t"), "time_embed[1](t)")
        expectClose(head.conditionEmbedding(c).data, try fixture("flow/cond_embed"), "cond_embed")
        expectClose(head.inputProjection(x).data, try fixture("flow/input_proj"), "input_proj")
        expectClose(head(condition: c, s: s, t: t, x: x).data, try fixture("flow/out"), "flow_net")
    }

    @Test func lsdDecodingMatches() throws {
        let c = S.rows(try fixture("flow/c"), 0..<2)
        let x0 = try fixture("lsd/x0")
        expectClose(model.flowHead.decode(condition: c, x0: x0, steps: 3).data, try fixture("lsd/out_3steps"), "LSD 3 steps")
        expectClose(model.flowHead.decode(condition: c, x0: .zeros(x0.shape), steps: 1).data,
                    try fixture("lsd/out_1step_zero"), "LSD 1 step from zeros")
    }

    @Test func voicePromptGivesTheReferenceVoiceState() throws {
        // mimi_enc/downsample_out [C, T] are the voice latents; projected → conditioning [T, d].
        let latents = try fixture("mimi_enc/downsample_out").transposed()
        let conditioning = try model.projectVoice(latents: latents)
        expectClose(conditioning.data, try fixture("voice/conditioning"), "speaker projection")
        var state = model.makeState(capacity: conditioning.shape[0])
        try model.prompt(conditioning: try fixture("voice/conditioning"), state: &state)
        let file = try SafetensorsFile(contentsOf: try Self.url("voice_state", "safetensors"))
        // The fixture is 1.1.1's form (current_end); ours 4.0.1's (offset, pad): the same caches.
        let ours = model.voiceTensors(of: state)
        #expect(Set(ours.keys.filter { $0.hasSuffix("/cache") }) == Set(file.names.filter { $0.hasSuffix("/cache") }))
        for name in file.names {
            let want = try file.tensor(named: name)
            if name.hasSuffix("/cache") {
                let got = try #require(ours[name])
                #expect(got.shape == want.shape, "\(name)")
                expectClose(got.data, want, name)
            } else {
                let offset = name.replacingOccurrences(of: "/current_end", with: "/offset")
                #expect(ours[offset] == Tensor(shape: [1], data: [Float(want.shape[0])]), "\(offset)")
            }
        }
    }

    /// FlowLM part of `generate_audio`: voice state → text prompt → steps from a NaN latent,
    /// each latent fed back; all computed latents and EOS logits of every chunk, temperature 0.
    @Test(arguments: ["budget", "eos"])
    func generationLatentsMatch(scenario: String) throws {
        let e2e = try SafetensorsFile(contentsOf: try Self.url("e2e", "safetensors"))
        let voiceFile = try SafetensorsFile(contentsOf: try Self.url("voice_state", "safetensors"))
        let voice = try model.makeState(voiceTensors: Dictionary(uniqueKeysWithValues: voiceFile.names.map {
            ($0, try voiceFile.tensor(named: $0))
        }))
        let info = try #require((manifest["e2e"] as? [String: Any])?[scenario] as? [String: Any])
        let sampling = FlowLMSampling(temperature: 0, lsdSteps: 1,
                                      eosThreshold: Float(try #require(info["eos_threshold"] as? Double)))
        let texts = try #require(info["texts"] as? [String: [String: Any]])
        var rng = SplitMix64(seed: 0)
        for (textName, text) in texts.sorted(by: { $0.key < $1.key }) {
            for (k, chunk) in try #require(text["chunks"] as? [[String: Any]]).enumerated() {
                let name = "e2e/\(scenario)/\(textName)/chunk\(k)"
                let latents = try e2e.tensor(named: "\(name)/latents")
                let logits = try e2e.tensor(named: "\(name)/eos_logits")
                var state = voice  // a copy per chunk, as copy_state=True
                let tokens = try #require(chunk["tokens"] as? [Int])
                state.reserveCapacity(state.length + tokens.count + latents.shape[0])
                try model.prompt(textTokens: tokens, state: &state)
                var latent = [Float](repeating: .nan, count: 32)
                var eosStep: Int?
                for step in 0..<latents.shape[0] {
                    let out = model.step(latent: latent, state: &state, sampling: sampling, using: &rng)
                    expectClose(out.latent, S.rows(latents, step..<step + 1), "\(name) step \(step)", tolerance: 1e-4)
                    expectClose([out.eosLogit], Tensor(shape: [1], data: [logits.data[step]]), "\(name) EOS \(step)",
                                tolerance: 1e-4)
                    if out.isEndOfSpeech && eosStep == nil { eosStep = step }
                    latent = out.latent
                }
                #expect(eosStep == chunk["eos_step"] as? Int, "\(name) EOS step")
            }
        }
        #expect(voice.length == 19)  // the voice state itself is untouched
    }
}
