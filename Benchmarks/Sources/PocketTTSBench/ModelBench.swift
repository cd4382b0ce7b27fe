import AudioIO
import Kernels
import PocketTTS
import TTSEngine

/// Runs on the calling thread, straight on the model (no engine): voice encoding, isolated
/// FlowLM steps (single and batched), Mimi frame decodes and the text prompt.
struct ModelBench {
    let model: TTSModel
    let tokens: [Int]  // [T] the benchmark sentence's tokens
    let sampling: FlowLMSampling
    /// The prompts' helper thread, as the engine's (steps of 1–8 streams never split).
    let pool = WorkerPool()

    /// (c) A voice from an audio file: read + `voiceState(audio:)` (resample to 24 kHz, Mimi
    /// encoder, speaker projection, FlowLM voice prompt), then the same parts timed one by one.
    func voiceEncode(clip path: String, repeats: Int) throws -> (result: [String: Any], state: FlowLM.State) {
        var totals: [Double] = [], reads: [Double] = [], resamples: [Double] = []
        var encodes: [Double] = [], prompts: [Double] = []
        var state = model.flowLM.makeState(capacity: 0)
        var audio = Audio(samples: [], sampleRate: model.sampleRate)
        for _ in 0..<repeats {
            let start = now()
            audio = try AudioFile.read(path)
            reads.append(now() - start)
            state = try model.voiceState(audio: audio, pool: pool)
            totals.append(now() - start)
        }
        for _ in 0..<repeats {
            let (r, resampled) = try timed { try Resampler.resample(audio.samples, from: audio.sampleRate, to: model.sampleRate) }
            let (e, conditioning) = try timed { try model.flowLM.voicePrompt(latents: try model.mimi.encoder.encode(audio: resampled)) }
            var fresh = model.flowLM.makeState(capacity: conditioning.shape[0])
            let (p, _) = try timed { try model.flowLM.prompt(conditioning: conditioning, state: &fresh, pool: pool) }
            resamples.append(r)
            encodes.append(e)
            prompts.append(p)
        }
        let result: [String: Any] = [
            "audio_seconds": rounded(audio.duration, 3), "source_rate": audio.sampleRate, "voice_frames": state.length,
            "total": summary(totals), "read": summary(reads), "resample_to_24k": summary(resamples),
            "mimi_encode_and_speaker_proj": summary(encodes), "flow_lm_voice_prompt": summary(prompts),
            "note": "total = AudioFile.read + TTSModel.voiceState(audio:) (resample to 24 kHz with libsoxr + Mimi encoder + speaker_proj + FlowLM voice prompt)",
        ]
        return (result, state)
    }

    /// The voice state prompted with the sentence, with room for `frames` more positions.
    private func prompted(_ voice: FlowLM.State, frames: Int) throws -> FlowLM.State {
        var state = voice
        state.reserveCapacity(state.length + tokens.count + frames)
        try model.flowLM.prompt(textTokens: tokens, state: &state, pool: pool)
        return state
    }

    /// (d) `steps` FlowLM steps after the voice and the sentence, then the Mimi decoding of their
    /// latents frame by frame (de-normalise + `MimiDecoder.step`), one after the other.
    func isolatedSteps(voice: FlowLM.State, steps: Int) throws -> [String: Any] {
        var state = try prompted(voice, frames: steps)
        var rng = Xoshiro256(seed: 7)
        var latent = [Float](repeating: .nan, count: model.flowLM.dimensions.latentDim)  // BOS
        var latents: [[Float]] = [], flowTimes: [Double] = [], flowCPU: [Double] = []
        for _ in 0..<steps {
            let cpu = threadCPUTime()
            let (t, step) = timed { model.flowLM.step(latent: latent, state: &state, sampling: sampling, using: &rng) }
            flowCPU.append(threadCPUTime() - cpu)
            flowTimes.append(t)
            latent = step.latent
            latents.append(latent)
        }
        var decoder = model.mimi.decoder.makeState()
        var decodeTimes: [Double] = [], decodeCPU: [Double] = []
        for latent in latents {
            let cpu = threadCPUTime()
            let (t, audio) = timed {
                var input: [Float] = []  // [1, ldim] de-normalised
                model.flowLM.normalization.denormalize(latent, appendingTo: &input)
                return model.mimi.decoder.step(Tensor(shape: [1, latent.count], data: input), state: &decoder)
            }
            guard audio.count == model.frameLength else { throw BenchError.wrongLength("Mimi frame of \(audio.count) samples") }
            decodeCPU.append(threadCPUTime() - cpu)
            decodeTimes.append(t)
        }
        return ["frames": steps, "flow_lm_step": summary(flowTimes), "mimi_decode_frame": summary(decodeTimes),
                "flow_lm_step_thread_cpu": summary(flowCPU), "mimi_decode_frame_thread_cpu": summary(decodeCPU)]
    }

    /// FlowLM steps of B streams at once (`stepBatch`, as the engine's producer does): what a
    /// batched step costs, in total and per stream.
    func batchedSteps(voice: FlowLM.State, batchSizes: [Int], steps: Int) throws -> [[String: Any]] {
        let base = try prompted(voice, frames: steps + 1)
        let l = model.flowLM.dimensions.latentDim
        return batchSizes.map { b in
            var states = [FlowLM.State](repeating: base, count: b)
            var generators = (0..<b).map { Xoshiro256(seed: UInt64(b * 100 + $0)) }
            var workspace = FlowLM.Workspace()
            var latents = [[Float]](repeating: [Float](repeating: .nan, count: l), count: b)
            var times: [Double] = []
            for s in 0...steps {
                let (t, out) = timed {
                    model.flowLM.stepBatch(latents: latents, states: &states, generators: &generators,
                                           sampling: sampling, workspace: &workspace)
                }
                if s > 0 { times.append(t) }  // the first call sizes the workspace
                latents = out.map(\.latent)
            }
            let m = median(times)
            return ["batch": b, "step": summary(times), "median_ms_per_stream": ms(m / Double(b))]
        }
    }

    /// The sentence's tokens prompted after the voice (`_generate`'s text prompt call; the state
    /// is copied and its cache reserved outside the timing).
    func textPrompt(voice: FlowLM.State, repeats: Int) throws -> [String: Any] {
        var times: [Double] = []
        for _ in 0..<repeats {
            var state = voice
            state.reserveCapacity(state.length + tokens.count + 200)
            let (t, _) = try timed { try model.flowLM.prompt(textTokens: tokens, state: &state, pool: pool) }
            times.append(t)
        }
        return summary(times).merging(["tokens": tokens.count]) { a, _ in a }
    }
}
