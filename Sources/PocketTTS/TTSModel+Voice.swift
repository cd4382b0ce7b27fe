import Foundation
import Kernels

/// Voice prompts: `TTSModel.get_state_for_audio_prompt` and the voice-state files.
extension TTSModel {
    /// The reference's optional truncation of long prompts (`truncate=True`): 30 seconds.
    public static let voiceTruncationSeconds = 30.0

    /// Voice conditioning [T, d] for mono audio at any rate: resampled to 24 kHz (libsoxr; the
    /// reference uses scipy's resample_poly, so non-24 kHz input differs slightly), right-padded
    /// to whole frames, Mimi-encoded and projected with `speaker_proj_weight`.
    public func voiceConditioning(audio: Audio, truncate: Bool = false) throws -> Tensor {
        var samples = audio.samples
        if truncate {
            let limit = Int(Self.voiceTruncationSeconds * Double(audio.sampleRate))
            if samples.count > limit { samples.removeSubrange(limit...) }
        }
        let resampled = try Resampler.resample(samples, from: audio.sampleRate, to: sampleRate)
        let latents = try mimi.encoder.encode(audio: resampled)  // [T, C]
        return try flowLM.projectVoice(latents: latents)  // [T, d]
    }

    /// The FlowLM state after the voice prompt: what every utterance in this voice starts from.
    public func voiceState(audio: Audio, truncate: Bool = false) throws -> FlowLM.State {
        let conditioning = try voiceConditioning(audio: audio, truncate: truncate)
        var state = flowLM.makeState(capacity: conditioning.shape[0])
        try flowLM.prompt(conditioning: conditioning, state: &state)
        // The prompt's scratch (rows × (FFN + scores)) would otherwise live as long as the voice.
        state.workspace = FlowLM.Workspace()
        return state
    }

    /// A voice from a file: a voice-state `.safetensors` (the reference's `export_model_state`
    /// format) or an audio file in any format libsndfile reads.
    public func voiceState(file path: String, truncate: Bool = false) throws -> FlowLM.State {
        if path.lowercased().hasSuffix(".safetensors") {
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
            var tensors: [String: Tensor] = [:]
            for name in file.names { tensors[name] = try file.tensor(named: name) }
            do {
                return try flowLM.makeState(voiceTensors: tensors)
            } catch {
                throw TTSModelError.invalidVoice(path: path, reason: error.description)
            }
        }
        return try voiceState(audio: try AudioFile.read(path), truncate: truncate)
    }

    /// Writes a voice state in the reference's format (`export-voice`).
    public func exportVoice(_ state: FlowLM.State, to path: String) throws {
        var writer = SafetensorsWriter(metadata: [:])
        for (name, tensor) in flowLM.voiceTensors(of: state).sorted(by: { $0.key < $1.key }) {
            try writer.add(name, tensor)
        }
        try writer.write(to: URL(fileURLWithPath: path))
    }
}
