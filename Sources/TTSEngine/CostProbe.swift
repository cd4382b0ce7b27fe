import Foundation
import Kernels
import PocketTTS

/// Measures the engine's units of work on the loaded model (`CapacityModel.Costs`): a short
/// warm-up on the calling thread (`serve`: a thread of its own, just after the service turns
/// ready: `Engine.measureCapacityInBackground`). Each unit is timed in CPU
/// seconds of the whole process (so the share of Kernels' helper threads counts), the median
/// of a few runs after one untimed run:
/// - batched FlowLM steps of `batch` and 2 · `batch` streams, each in a state holding a 10 s
///   voice and a sentence's prompt (the line through the two gives the step's base and
///   per-stream cost: the weights are read once per batch);
/// - a prompt of `promptRows` text rows;
/// - Mimi: one frame of each of `batch` and 2 · `batch` streams in one pass where the decoder
///   batches across streams (`isBatchInvariant`), else pairs of frames stream by stream, as
///   the consumer decodes them.
/// Takes well under a second on the full-size model on 2 AVX2 cores (release build). Where the
/// capacity those give lies far above the probe's batches (the tiny models), `refine` measures
/// the step and the Mimi pass again at that many streams.
enum CostProbe {
    /// Positions of the probe's voice: 10 s at 12.5 frames a second.
    static let voicePositions = 125
    static let promptRows = 32

    static func measure(model: TTSModel, batch: Int = 8, runs: Int = 3,
                        clock: () -> Double = CapacityMonitor.processCPUSeconds) -> CapacityModel.Costs {
        let flowLM = model.flowLM
        let d = flowLM.dimensions.modelDim
        let steps = runs + 1
        var voice = flowLM.makeState(capacity: voicePositions + promptRows + steps)
        let conditioning = Tensor(shape: [voicePositions, d], data: (0..<voicePositions * d).map { Float(sin(Double($0))) * 0.1 })
        try? flowLM.prompt(conditioning: conditioning, state: &voice)
        let vocabulary = max(1, flowLM.textEmbeddingTable.count / d)
        let tokens = (0..<promptRows).map { (1 + $0) % vocabulary }
        var prompted = voice
        let promptSeconds = median(runs: runs, clock: clock) {
            prompted = voice
            try? flowLM.prompt(textTokens: tokens, state: &prompted)
        }
        let sampling = FlowLMSampling(temperature: Float(model.config.defaultTemperature),
                                      eosThreshold: Float(model.config.defaultEOSThreshold))
        let step = [batch, 2 * batch].map { b in
            stepSeconds(flowLM: flowLM, state: prompted, batch: b, sampling: sampling, runs: runs, clock: clock)
        }
        let (stepBase, stepPerStream) = line(through: (batch, step[0]), (2 * batch, step[1]))
        let decoder = model.mimi.decoder
        let decodeBase: Double, decodePerStream: Double
        if decoder.isBatchInvariant {
            let decode = [batch, 2 * batch].map { n in decodeBatchSeconds(decoder: decoder, streams: n, runs: runs, clock: clock) }
            (decodeBase, decodePerStream) = line(through: (batch, decode[0]), (2 * batch, decode[1]))
        } else {
            (decodeBase, decodePerStream) = (0, decodePairSeconds(decoder: decoder, runs: runs, clock: clock) / 2)
        }
        return CapacityModel.Costs(stepBase: stepBase, stepPerStream: stepPerStream,
                                   promptRowSeconds: promptSeconds / Double(promptRows),
                                   promptRowsPerFrame: CapacityModel.Costs.defaultPromptRowsPerFrame,
                                   decodeBase: decodeBase, decodePerStream: decodePerStream)
    }

    /// The costs measured again where the capacity they give lies: one batched step of
    /// `streams` streams and one Mimi pass over `streams / consumers` of them (a consumer's share),
    /// each line refitted through its probe point at `batch` and the new one. At a tiny model's
    /// hundreds of streams a stream's cost is not what 8 or 16 of them suggest (the streams'
    /// states and activations no longer fit the caches); at a full-size model's few dozen this
    /// changes little. Where `streams` (or a consumer's share) is at most `4 · batch` that line is
    /// kept: near the probe's own points (a full-size model's few dozen streams, whose states are
    /// large). Serving and prompt costs are kept. The states of `streams` streams are held for the
    /// moment of the step (a tiny model's 256: about 170 MB; glibc keeps some of it, so a tiny
    /// model's service idles about 60 MB higher after its probe).
    static func refine(_ costs: CapacityModel.Costs, model: TTSModel, streams: Int, consumers: Int, batch: Int = 8,
                       runs: Int = 3, clock: () -> Double = CapacityMonitor.processCPUSeconds) -> CapacityModel.Costs {
        var refined = costs
        let flowLM = model.flowLM
        if streams > 4 * batch {
            let state = probeState(flowLM: flowLM, steps: runs + 1)
            let sampling = FlowLMSampling(temperature: Float(model.config.defaultTemperature),
                                          eosThreshold: Float(model.config.defaultEOSThreshold))
            let seconds = stepSeconds(flowLM: flowLM, state: state, batch: streams, sampling: sampling, runs: runs, clock: clock)
            (refined.stepBase, refined.stepPerStream) = line(through: (batch, costs.step(batch: batch)), (streams, seconds))
        }
        let decoder = model.mimi.decoder
        let share = (streams + consumers - 1) / max(1, consumers)
        if decoder.isBatchInvariant, share > 4 * batch {
            let seconds = decodeBatchSeconds(decoder: decoder, streams: share, runs: runs, clock: clock)
            (refined.decodeBase, refined.decodePerStream) = line(through: (batch, costs.decode(streams: batch)), (share, seconds))
        }
        return refined
    }

    /// A FlowLM state holding the probe's 10 s voice and a prompt of `promptRows` rows, with room
    /// for `steps` more positions.
    static func probeState(flowLM: FlowLM, steps: Int) -> FlowLM.State {
        let d = flowLM.dimensions.modelDim
        var state = flowLM.makeState(capacity: voicePositions + promptRows + steps)
        let conditioning = Tensor(shape: [voicePositions, d], data: (0..<voicePositions * d).map { Float(sin(Double($0))) * 0.1 })
        try? flowLM.prompt(conditioning: conditioning, state: &state)
        let vocabulary = max(1, flowLM.textEmbeddingTable.count / d)
        try? flowLM.prompt(textTokens: (0..<promptRows).map { (1 + $0) % vocabulary }, state: &state)
        return state
    }

    /// Base and slope of the line through two (batch, seconds) points; never negative (a
    /// measurement where the larger batch looks cheaper per stream than the base allows gives
    /// base 0 and the larger batch's cost per stream).
    static func line(through a: (Int, Double), _ b: (Int, Double)) -> (base: Double, perStream: Double) {
        let slope = (b.1 - a.1) / Double(b.0 - a.0)
        let base = a.1 - slope * Double(a.0)
        if slope > 0, base >= 0 { return (base, slope) }
        let perStream = max(a.1 / Double(a.0), b.1 / Double(b.0))
        return (0, perStream)
    }

    /// The median CPU seconds of `runs` calls of `body`, after one untimed call.
    static func median(runs: Int, clock: () -> Double, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<runs {
            let start = clock()
            body()
            times.append(max(0, clock() - start))
        }
        return times.sorted()[times.count / 2]
    }

    private static func stepSeconds(flowLM: FlowLM, state: FlowLM.State, batch: Int, sampling: FlowLMSampling,
                                    runs: Int, clock: () -> Double) -> Double {
        let l = flowLM.dimensions.latentDim
        var states = [FlowLM.State](repeating: state, count: batch)
        var generators = (0..<batch).map { Xoshiro256(seed: UInt64($0)) }
        var latents = [Float](repeating: .nan, count: batch * l)  // BOS, then each step's output
        var logits = [Float](repeating: 0, count: batch)
        var workspace = FlowLM.Workspace()
        return median(runs: runs, clock: clock) {
            states.withUnsafeMutableBufferPointer { s in
                generators.withUnsafeMutableBufferPointer { g in
                    latents.withUnsafeMutableBufferPointer { x in
                        logits.withUnsafeMutableBufferPointer { e in
                            flowLM.stepBatch(latents: UnsafeBufferPointer(x), states: s, generators: g, sampling: sampling,
                                             workspace: &workspace, latentsOut: x, eosLogits: e)
                        }
                    }
                }
            }
        }
    }

    private static func decodeBatchSeconds(decoder: MimiDecoder, streams: Int, runs: Int, clock: () -> Double) -> Double {
        var states = (0..<streams).map { _ in decoder.makeState() }
        let latents = (0..<streams * decoder.latentDimension).map { Float(sin(Double($0) * 0.37)) }
        var audio = [Float](repeating: 0, count: streams * decoder.frameLength)
        var scratch = MimiDecoder.BatchScratch()
        return median(runs: runs, clock: clock) {
            latents.withUnsafeBufferPointer { x in
                audio.withUnsafeMutableBufferPointer { y in
                    states.withUnsafeMutableBufferPointer { s in
                        decoder.forwardBatch(latents: x.baseAddress!, into: y.baseAddress!, states: s, scratch: &scratch)
                    }
                }
            }
        }
    }

    /// Two frames of one stream in one call (the consumer's runs on the exact path).
    private static func decodePairSeconds(decoder: MimiDecoder, runs: Int, clock: () -> Double) -> Double {
        var state = decoder.makeState()
        let latents = (0..<2 * decoder.latentDimension).map { Float(sin(Double($0) * 0.37)) }
        var audio = [Float](repeating: 0, count: 2 * decoder.frameLength)
        return median(runs: runs, clock: clock) {
            latents.withUnsafeBufferPointer { x in
                audio.withUnsafeMutableBufferPointer { y in
                    decoder.forward(latents: x.baseAddress!, frames: 2, into: y.baseAddress!, state: &state)
                }
            }
        }
    }
}
