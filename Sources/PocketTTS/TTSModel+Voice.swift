import Foundation
import Kernels

/// Voice prompts: `TTSModel.get_state_for_audio_prompt` from samples at the model's rate, and
/// the voice-state files. Reading and resampling audio files is AudioIO's; TTSEngine's
/// `TTSModel.voiceState(audio:)` / `voiceState(file:)` put the three steps together.
extension TTSModel {
    /// The reference's optional truncation of long prompts (`truncate=True`): 30 seconds.
    public static let voiceTruncationSeconds = 30.0

    /// Voice conditioning [T (+ 1), d] for mono samples at the model's rate (`sampleRate`, 24 kHz):
    /// right-padded to whole frames, Mimi-encoded, projected with `speaker_proj_weight`, after
    /// `bos_before_voice` when the config inserts it (4.0.1 `get_state_for_audio_prompt`).
    public func voiceConditioning(samples24k samples: [Float]) throws -> Tensor {
        let latents = try mimi.encoder.encode(audio: samples)  // [T, C]
        return try flowLM.voicePrompt(latents: latents)  // [T (+ 1), d]
    }

    /// The FlowLM state after the voice prompt (mono samples at `sampleRate`): what every
    /// utterance in this voice starts from. As 4.0.1's `get_state_for_audio_prompt`, the prompt
    /// is first trimmed to end on a pause (`AudioFades.endOnPause`) when the config says so
    /// (`PocketTTSConfig.endsVoicePromptOnPause`: every config but 1.1.1's `b6369a24()`). The
    /// prompt shares the pieces of its layers with `pool` (nil: all on the calling thread).
    public func voiceState(samples24k samples: [Float], pool: WorkerPool? = nil) throws -> FlowLM.State {
        let prompt = config.endsVoicePromptOnPause ? AudioFades.endOnPause(samples, sampleRate: sampleRate) : samples
        let conditioning = try voiceConditioning(samples24k: prompt)
        var state = flowLM.makeState(capacity: conditioning.shape[0])
        try flowLM.prompt(conditioning: conditioning, state: &state, pool: pool)
        // The prompt's scratch (rows × (FFN + scores)) would otherwise live as long as the voice.
        state.workspace = FlowLM.Workspace()
        return state
    }

    /// A voice-state `.safetensors` file (the reference's `export_model_state` format: 4.0.1's
    /// offset/pad or 1.1.1's current_end).
    public func voiceState(stateFile path: String) throws -> FlowLM.State {
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(named: name) }
        do {
            return try flowLM.makeState(voiceTensors: tensors)
        } catch {
            throw TTSModelError.invalidVoice(path: path, reason: error.description)
        }
    }

    /// Writes a voice state as 4.0.1's `export-voice` does (`export_model_state`: caches float32,
    /// offset and pad int64).
    public func exportVoice(_ state: FlowLM.State, to path: String) throws {
        var writer = SafetensorsWriter(metadata: [:])
        for (name, tensor) in flowLM.voiceTensors(of: state).sorted(by: { $0.key < $1.key }) {
            try writer.add(name, tensor, dtype: FlowLM.voiceTensorDType(name: name))
        }
        try writer.write(to: URL(fileURLWithPath: path))
    }
}
