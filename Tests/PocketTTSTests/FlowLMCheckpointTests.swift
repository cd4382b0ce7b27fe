import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// FlowLM-only checkpoints (`flow_lm.weights_path`): the training layout renamed as 4.0.1's
/// `get_flow_lm_state_dict` does, and this package's `flow_lm.*` layout.
@Suite struct FlowLMCheckpointTests {
    static let name = "english_2m_2026-10"

    /// The package key → the training key `get_flow_lm_state_dict` renames from.
    static func trainingKey(_ key: String) -> String {
        switch key {
        case "conditioner.embed.weight": "condition_provider.conditioners.transcript_in_segment.embed.weight"
        case "speaker_proj_weight": "condition_provider.conditioners.speaker_wavs.output_proj.weight"
        case "bos_before_voice": "fuser.padding_value"
        default: key.replacingOccurrences(of: ".self_attn.in_proj.weight", with: ".self_attn.in_proj_weight")
        }
    }

    static func write(_ tensors: [String: Tensor], dtype: SafetensorsDType = .float32) throws -> URL {
        var writer = SafetensorsWriter()
        for (key, tensor) in tensors { try writer.add(key, tensor, dtype: dtype) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flowlm-\(UUID().uuidString).safetensors")
        try writer.write(to: url)
        return url
    }

    /// One temperature-0 step from BOS after a text prompt.
    static func step(_ model: FlowLM) throws -> FlowLMStep {
        var state = model.makeState(capacity: 8)
        try model.prompt(textTokens: [5, 17, 3999], state: &state)
        var rng = SplitMix64(seed: 0)
        return model.step(latent: [Float](repeating: .nan, count: 32), state: &state,
                          sampling: FlowLMSampling(temperature: 0), using: &rng)
    }

    @Test func trainingLayoutLoadsRenamed() throws {
        let package = try Reference401.flowLMTensors(Self.name)
        var training: [String: Tensor] = [:]
        for (key, tensor) in package { training[Self.trainingKey(String(key.dropFirst("flow_lm.".count)))] = tensor }
        #expect(training["transformer.layers.3.self_attn.in_proj_weight"] != nil)
        // Skipped by the reference.
        training["flow.w_s_t.mlp.weight"] = .zeros([2, 2])
        training["condition_provider.conditioners.transcript_in_segment.learnt_padding"] = .zeros([1, 1, 112])
        training["condition_provider.conditioners.speaker_wavs.learnt_padding"] = .zeros([1, 1, 112])
        training["num_ema_updates"] = .zeros([1])
        let url = try Self.write(training)
        defer { try? FileManager.default.removeItem(at: url) }
        let dims = try FlowLMDimensions(config: try Reference401.config(Self.name))
        let reader = try FlowLM.checkpointWeights(file: try SafetensorsFile(contentsOf: url))
        let loaded = try FlowLM(weights: reader, dimensions: dims)
        try reader.finish()
        #expect(try Self.step(loaded) == Self.step(try Reference401.flowLM(Self.name)))

        // A missing tensor is named as the model knows it.
        training["transformer.layers.2.self_attn.in_proj_weight"] = nil
        let broken = try Self.write(training)
        defer { try? FileManager.default.removeItem(at: broken) }
        #expect(throws: WeightError.missingTensor("transformer.layers.2.self_attn.in_proj.weight")) {
            try FlowLM(weights: try FlowLM.checkpointWeights(file: try SafetensorsFile(contentsOf: broken)), dimensions: dims)
        }
    }

    @Test func packageLayoutLoadsWithoutThePrefix() throws {
        var package = try Reference401.flowLMTensors(Self.name)
        package["mimi.other"] = .zeros([3])  // another part of a whole-model file: not FlowLM's
        let url = try Self.write(package, dtype: .bfloat16)
        defer { try? FileManager.default.removeItem(at: url) }
        let reader = try FlowLM.checkpointWeights(file: try SafetensorsFile(contentsOf: url))
        let dims = try FlowLMDimensions(config: try Reference401.config(Self.name))
        let loaded = try FlowLM(weights: reader, dimensions: dims)
        try reader.finish()
        #expect(loaded.transformer.layers[0].inProjection.weights == .bfloat16(
            package["flow_lm.transformer.layers.0.self_attn.in_proj.weight"]!.data.map(FloatConversion.bfloat16(from:))))
        // A mis-shaped tensor is named.
        package["flow_lm.z_proj.weight"] = .zeros([64, 111])
        let bad = try Self.write(package)
        defer { try? FileManager.default.removeItem(at: bad) }
        #expect(throws: WeightError.shape(name: "z_proj.weight", expected: [64, 112], got: [64, 111])) {
            try FlowLM(weights: try FlowLM.checkpointWeights(file: try SafetensorsFile(contentsOf: bad)), dimensions: dims)
        }
    }

    @Test func renamingToOneNameTwiceFails() throws {
        let url = try Self.write(["a": .zeros([1]), "b": .zeros([1])])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: WeightError.duplicateTensor("x", files: ["a", "b"])) {
            try WeightReader(file: try SafetensorsFile(contentsOf: url)) { _ in "x" }
        }
    }
}
