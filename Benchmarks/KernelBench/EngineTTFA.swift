// kernel-bench ttfa: time to first audio through the Engine, full-size model (bf16 random weights).
import Foundation
import Kernels
import PocketTTS
import TTSEngine

/// Records when the first frame of a stream arrives and when the stream ends.
private final class FirstFrameSink: StreamSink, @unchecked Sendable {  // all state behind `condition`
    private let condition = NSCondition()
    private var firstFrame: Double?
    private var ended = false

    func stream(_ id: StreamID, didProduce frame: GeneratedFrame) {
        condition.lock()
        if firstFrame == nil { firstFrame = clock(CLOCK_MONOTONIC) }
        condition.broadcast()
        condition.unlock()
    }
    func streamDidFinish(_ id: StreamID) { end() }
    func stream(_ id: StreamID, didFail error: Error) { end() }
    private func end() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the first frame, then for the end; returns the first frame's time.
    func waitFirstFrameAndEnd() -> Double {
        condition.lock()
        defer { condition.unlock() }
        while firstFrame == nil || !ended { condition.wait() }
        return firstFrame!
    }
}

/// TTFA of a 43-token text (one chunk) with a prefilled 125-frame voice, one stream at a time:
/// from `enqueue(text:)` to the first decoded frame at the sink (2 frames generated per run).
/// Also the 43-token prompt alone on this thread.
func benchmarkTTFA(reps: Int) throws {
    let config = try PocketTTSConfig.b6369a24()
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-bench-ttfa-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try RandomWeights.write(config: config, seed: 1, dtype: .bfloat16, to: url)
    let tokenizer = ProcessInfo.processInfo.environment["POCKET_TTS_TOKENIZER"] ?? "/work/shared/assets/tokenizer.model"
    let model = try TTSModel.load(config: config, weightsPath: url.path, tokenizerPath: tokenizer)
    let pool = WorkerPool()  // the prompts' helper thread, as the engine's
    var voice = model.flowLM.makeState(capacity: 125)
    try model.flowLM.prompt(conditioning: Tensor.random([125, model.flowLM.dimensions.modelDim], seed: 3), state: &voice,
                            pool: pool)
    let text = "On the first day of spring, the children ran down to the river with their bright kites, "
        + "laughing and shouting as the colours rose high above the tall trees."  // reference_bench.py's TEXT_43
    let chunks = try TextChunk.chunks(for: text, tokenizer: model.tokenizer, config: model.config, maxTokens: 100)
    print("\nTTFA: \(chunks.map(\.tokens.count)) text tokens, 125-frame voice, bf16 weights")
    // The first frame's parts, one after the other on this thread.
    var parts = [[Sample]](repeating: [], count: 5)
    for _ in 0..<max(3, reps) {
        var state = voice
        var chunk: [TextChunk] = []
        parts[0].append(measure {
            chunk = try! model.chunks(for: text, maxTokens: 100)
            state.reserveCapacity(state.length + chunk[0].tokens.count + 4)
        })
        parts[1].append(measure { try! model.flowLM.prompt(textTokens: chunk[0].tokens, state: &state, pool: pool) })
        var rng = Xoshiro256(seed: 0)
        var latent = [Float](repeating: .nan, count: model.flowLM.dimensions.latentDim)
        parts[2].append(measure {
            latent = model.flowLM.step(latent: latent, state: &state, sampling: FlowLMSampling(temperature: 0.7),
                                       using: &rng).latent
        })
        var decoder = model.mimi.decoder.makeState()
        parts[3].append(measure { decoder = model.mimi.decoder.makeState() })
        var denormalized: [Float] = []
        model.flowLM.normalization.denormalize(latent, appendingTo: &denormalized)
        let input = Tensor(shape: [1, latent.count], data: denormalized)
        parts[4].append(measure { _ = model.mimi.decoder.step(input, state: &decoder) })
    }
    for (name, samples) in zip(["tokenize + state copy", "43-token prompt", "first FlowLM step", "Mimi state",
                                "first Mimi frame"], parts) {
        print("\(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(summary(samples))")
    }
    let engine = Engine(model: model)
    engine.start()
    defer { engine.stop() }
    let options = GenerationOptions(sampling: FlowLMSampling(temperature: 0.7, lsdSteps: 1, eosThreshold: 1e9),
                                    maxFrames: 2)
    var ttfa: [Double] = []
    for _ in 0..<(1 + max(3, reps)) {
        let sink = FirstFrameSink()
        let id = try engine.openStream(voice: voice, options: options, sink: sink)
        let start = clock(CLOCK_MONOTONIC)
        try engine.enqueue(text: text, to: id)
        engine.finish(id)
        ttfa.append(sink.waitFirstFrameAndEnd() - start)
    }
    let sorted = ttfa.dropFirst().sorted()
    print(String(format: "engine TTFA ms: min %.2f / median %.2f  (all: %@)", sorted[0], sorted[sorted.count / 2],
                 ttfa.map { String(format: "%.1f", $0) }.joined(separator: " ")))
}
