// TTSModel+VoiceAudio: voices from audio files, the one place that reads (AudioIO), resamples
// (AudioIO) and encodes (PocketTTS). The command line and `VoiceLibrary` both call it.
import AudioIO
import Kernels
import PocketTTS

extension TTSModel {
    /// The FlowLM state after a voice prompt of mono audio at any rate: cut to
    /// `voiceTruncationSeconds` first when `truncate`, resampled to the model's rate (libsoxr;
    /// the reference uses scipy's resample_poly, so non-24 kHz input differs slightly), then
    /// `voiceState(samples24k:pool:)` (which trims it to end on a pause, as 4.0.1 does).
    public func voiceState(audio: Audio, truncate: Bool = false, pool: WorkerPool? = nil) throws -> FlowLM.State {
        var samples = audio.samples
        if truncate {
            let limit = Int(Self.voiceTruncationSeconds * Double(audio.sampleRate))
            if samples.count > limit { samples.removeSubrange(limit...) }
        }
        return try voiceState(samples24k: try Resampler.resample(samples, from: audio.sampleRate, to: sampleRate), pool: pool)
    }

    /// A voice from a file: a voice-state `.safetensors` (the reference's `export_model_state`
    /// format) or an audio file in any format libsndfile reads.
    public func voiceState(file path: String, truncate: Bool = false, pool: WorkerPool? = nil) throws -> FlowLM.State {
        if path.lowercased().hasSuffix(".safetensors") { return try voiceState(stateFile: path) }
        return try voiceState(audio: try AudioFile.read(path), truncate: truncate, pool: pool)
    }
}
