import AudioIO
// kernel-bench quality: each precision against exact on the full-size model (random bf16
// weights), teacher-forced: every step of every path gets the exact path's previous latent.
import Foundation
import Kernels
import PocketTTS

/// 10 log10(Σ reference² / Σ (x − reference)²) in dB.
func signalToNoise(_ x: [Float], reference: [Float]) -> Double {
    precondition(x.count == reference.count, "signalToNoise: counts")
    var (signal, noise) = (0.0, 0.0)
    for (a, b) in zip(x, reference) {
        signal += Double(b) * Double(b)
        noise += (Double(a) - Double(b)) * (Double(a) - Double(b))
    }
    return 10 * log10(signal / noise)
}

/// One path's run: the latents it produced, their audio, and the EOS logits.
struct QualityRun {
    var latents: [[Float]] = []  // [frames][ldim]
    var audio: [Float] = []  // frames · 1920 samples
    var eosLogits: [Float] = []
}

/// Voice (the speech sample), the 43-token sentence, then `frames` FlowLM steps (temperature
/// 0.7, 1 LSD step, the same noise seed for every path); step i's input is `inputs[i]` when
/// given (teacher forcing), else the run's own previous latent. The latents are decoded by
/// the model's Mimi (in the model's precision) frame by frame.
func qualityRun(model: TTSModel, voice: Audio, tokens: [Int], frames: Int, inputs: [[Float]]?, seed: UInt64 = 42) throws
    -> QualityRun {
    var state = try model.voiceState(audio: voice)
    state.reserveCapacity(state.length + tokens.count + frames + 1)
    try model.flowLM.prompt(textTokens: tokens, state: &state)
    var rng = Xoshiro256(seed: seed)
    let sampling = FlowLMSampling(temperature: 0.7, lsdSteps: 1, eosThreshold: 1e9)
    var decoder = model.mimi.decoder.makeState()
    var run = QualityRun()
    var latent = [Float](repeating: .nan, count: model.flowLM.dimensions.latentDim)  // BOS
    for i in 0..<frames {
        let input = inputs?[i] ?? latent
        let step = model.flowLM.step(latent: input, state: &state, sampling: sampling, using: &rng)
        latent = step.latent
        run.latents.append(latent)
        run.eosLogits.append(step.eosLogit)
        var denormalized: [Float] = []
        model.flowLM.normalization.denormalize(latent, appendingTo: &denormalized)
        let frame = Tensor(shape: [1, latent.count], data: denormalized)
        run.audio += model.mimi.decoder.step(frame, state: &decoder).data
    }
    return run
}

func report(_ name: String, _ run: QualityRun, _ reference: QualityRun) {
    let latentSNR = signalToNoise(Array(run.latents.joined()), reference: Array(reference.latents.joined()))
    let perFrame = zip(run.latents, reference.latents).map { signalToNoise($0, reference: $1) }
    let audioSNR = signalToNoise(run.audio, reference: reference.audio)
    let eosError = zip(run.eosLogits, reference.eosLogits).map { abs($0 - $1) }.max()!
    print(String(format: "%@: latent SNR %.1f dB (per frame min %.1f, median %.1f), audio SNR %.1f dB, max |ΔEOS logit| %.4f",
                 name.padding(toLength: max(5, name.count), withPad: " ", startingAt: 0), latentSNR, perFrame.min()!,
                 perFrame.sorted()[perFrame.count / 2], audioSNR, eosError))
}

func measureQuality(frames: Int = 40, modelName: String? = nil) throws {
    let environment = ProcessInfo.processInfo.environment
    let tokenizerPath = environment["POCKET_TTS_TOKENIZER"] ?? "/work/shared/assets/tokenizer.model"
    let speech = environment["POCKET_TTS_SPEECH"] ?? "/work/shared/assets/speech_48k.wav"
    // `--model NAME`: a built-in config (every one has 4000 bins: the real SentencePiece model
    // serves all of them here, whatever tokenizer kind the config names); 1.1.1's by default.
    let config = try modelName.map { try ModelCatalog.config(named: $0) } ?? PocketTTSConfig.b6369a24()
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-bench-quality-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try RandomWeights.write(config: config, seed: 0, dtype: .bfloat16, to: url)  // `make-random-weights --dtype bf16 --seed 0`
    let tokenizer = try Tokenizer(path: tokenizerPath, kind: .sentencePiece)
    func load(_ precision: Precision) throws -> TTSModel {
        let weights = WeightReader(file: try SafetensorsFile(contentsOf: url), keepBFloat16: true)
        return try TTSModel(config: config, flowLMWeights: weights.scoped("flow_lm."), mimiWeights: weights.scoped("mimi."),
                            tokenizer: tokenizer, precision: precision)
    }
    let voice = try AudioFile.read(speech)
    let text = "On the first day of spring, the children ran down to the river with their bright kites, "
        + "laughing and shouting as the colours rose high above the tall trees."  // reference_bench.py's TEXT_43

    print("\nQuality against exact (\(modelName ?? "b6369a24 (1.1.1)")): full-size random bf16 weights (seed 0), voice "
          + "\((speech as NSString).lastPathComponent), 43-token sentence, \(frames) frames, temperature 0.7, 1 LSD step, "
          + "teacher-forced (each step fed the exact path's previous latent); SNR in dB (higher is closer)")
    let exactModel = try load(.exact)
    let tokens = try exactModel.chunks(for: text, maxTokens: 100)[0].tokens
    let exact = try qualityRun(model: exactModel, voice: voice, tokens: tokens, frames: frames, inputs: nil)
    let inputs = [[Float](repeating: .nan, count: exact.latents[0].count)] + exact.latents.dropLast()
    print(String(format: "exact: %d tokens, latent rms %.3f, audio rms %.4f", tokens.count, rms(Array(exact.latents.joined())),
                 rms(exact.audio)))
    for precision in [Precision.bf16, .int8] {
        let model = try load(precision)
        for fallback in model.precisionFallbacks(precision) { print("\(precision) fallback: \(fallback)") }
        report(precision.rawValue, try qualityRun(model: model, voice: voice, tokens: tokens, frames: frames, inputs: inputs),
               exact)
        // Mimi alone: the exact path's latents decoded by this precision's Mimi decoder.
        let audio = decodeFrameByFrame(model, exact.latents)
        print(String(format: "%@ Mimi decoder alone (the exact latents): audio SNR %.1f dB", precision.rawValue,
                     signalToNoise(audio, reference: exact.audio)))
    }
    // For scale: exact itself with other sampling noise (another latent of the same kind at
    // each step), teacher-forced the same way.
    report("exact, other noise seed", try qualityRun(model: exactModel, voice: voice, tokens: tokens, frames: frames,
                                                     inputs: inputs, seed: 43), exact)
}

func rms(_ x: [Float]) -> Double { (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot() }

/// The audio of `latents` (normalised, one per frame) decoded frame by frame from a fresh state.
func decodeFrameByFrame(_ model: TTSModel, _ latents: [[Float]]) -> [Float] {
    var decoder = model.mimi.decoder.makeState()
    var audio: [Float] = []
    for latent in latents {
        var denormalized: [Float] = []
        model.flowLM.normalization.denormalize(latent, appendingTo: &denormalized)
        audio += model.mimi.decoder.step(Tensor(shape: [1, latent.count], data: denormalized), state: &decoder).data
    }
    return audio
}
