// The built-in model config, so that `pocket-tts` works without a checkout of Configs/.
// Kept identical to Configs/b6369a24.yaml (a test compares them).

extension PocketTTSConfig {
    /// The text of `Configs/b6369a24.yaml` (the reference's `pocket_tts/config/b6369a24.yaml`).
    public static let b6369a24YAML = """
# sig: b6369a24

weights_path: hf://kyutai/pocket-tts/tts_b6369a24.safetensors@427e3d61b276ed69fdd03de0d185fa8a8d97fc5b
weights_path_without_voice_cloning: hf://kyutai/pocket-tts-without-voice-cloning/tts_b6369a24.safetensors@d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3

flow_lm:
  dtype: float32
  flow:
    depth: 6
    dim: 512
  transformer:
    d_model: 1024
    hidden_scale: 4
    max_period: 10000
    num_heads: 16
    num_layers: 6
  lookup_table:
    dim: 1024
    n_bins: 4000
    tokenizer: sentencepiece
    tokenizer_path: hf://kyutai/pocket-tts-without-voice-cloning/tokenizer.model@d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3
  #weights_path: flow_lm_b6369a24.safetensors

mimi:
  dtype: float32
  sample_rate: 24000
  channels: 1
  frame_rate: 12.5
  seanet:
    dimension: 512
    channels: 1
    n_filters: 64
    n_residual_layers: 1
    ratios:
    - 6
    - 5
    - 4
    kernel_size: 7
    residual_kernel_size: 3
    last_kernel_size: 3
    dilation_base: 2
    pad_mode: constant
    compress: 2
  transformer:
    d_model: 512
    num_heads: 8
    num_layers: 2
    layer_scale: 0.01
    context: 250
    dim_feedforward: 2048
    input_dimension: 512
    output_dimensions:
    - 512
  quantizer:
    dimension: 32
    output_dimension: 512
  #weights_path: mimi_b6369a24.safetensors

"""

    /// The released model's config (b6369a24) as pocket-tts 1.1.1 ran it: exact (erf) GELU,
    /// Mimi's decoder attention over a ring of `context` slots, voice prompts encoded as given.
    /// 4.0.1 runs the same weights as `english_2026-01` (`ModelCatalog`), with tanh GELU.
    public static func b6369a24() throws -> PocketTTSConfig {
        try PocketTTSConfig(yaml: b6369a24YAML).asPocketTTS111()
    }

    /// This config as pocket-tts 1.1.1 ran its model: exact (erf) GELU, Mimi's decoder attention
    /// over a ring of `context` slots, voice prompts encoded as given (no end-on-pause trim). The
    /// parity checks against 1.1.1's fixtures use it; everything else runs as 4.0.1 does.
    public func asPocketTTS111() -> PocketTTSConfig {
        var config = self
        config.geluApproximation = .none
        config.mimi.attentionCache = .contextRing
        config.endsVoicePromptOnPause = false
        return config
    }
}
