import Foundation

/// FlowLM-only checkpoints: the file a config's `flow_lm.weights_path` names
/// (4.0.1 utils/weights_loading.py `get_flow_lm_state_dict`).
extension FlowLM {
    /// The package key (relative to `flow_lm.`) of a tensor of a training-layout FlowLM file, or
    /// nil for the tensors the reference skips (`flow.w_s_t.*`, the conditioners' learnt
    /// padding, `num_ema_updates`): `get_flow_lm_state_dict`'s renames.
    public static func packageKey(forTrainingKey key: String) -> String? {
        if key.hasPrefix("flow.w_s_t.")
            || key == "condition_provider.conditioners.transcript_in_segment.learnt_padding"
            || key == "condition_provider.conditioners.speaker_wavs.learnt_padding"
            || key == "num_ema_updates" {
            return nil
        }
        let renamed: String
        switch key {
        case "condition_provider.conditioners.transcript_in_segment.embed.weight": renamed = "conditioner.embed.weight"
        case "condition_provider.conditioners.speaker_wavs.output_proj.weight": renamed = "speaker_proj_weight"
        case "fuser.padding_value": renamed = "bos_before_voice"
        default: renamed = key
        }
        return renamed.replacingOccurrences(of: ".self_attn.in_proj_weight", with: ".self_attn.in_proj.weight")
    }

    /// A reader over a FlowLM checkpoint whose keys are relative to `flow_lm.` (what
    /// `FlowLM.init(weights:…)` takes): the training layout renamed (`packageKey(forTrainingKey:)`),
    /// or, when the file holds `flow_lm.*` keys (this package's layout, e.g. a whole model
    /// file), those keys without the prefix (the other tensors skipped).
    public static func checkpointWeights(file: SafetensorsFile, keepBFloat16: Bool = true) throws -> WeightReader {
        let prefix = "flow_lm."
        if file.names.contains(where: { $0.hasPrefix(prefix) }) {
            return try WeightReader(file: file, keepBFloat16: keepBFloat16) { key in
                key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : nil
            }
        }
        return try WeightReader(file: file, keepBFloat16: keepBFloat16, renaming: packageKey(forTrainingKey:))
    }
}
