// kernel-bench profile: FlowLM steps of B streams in a loop, for `perf record` (Benchmarks/README.md,
// "FlowLM step profile"). Arguments: --streams B (default 1), --steps N (default 300), --precision P
// (default int8). The model is the full-size random bf16 one, after a 125-row voice + 43-token prompt.
import Foundation
import Kernels
import PocketTTS

func profileFlowLM(arguments: ArraySlice<String>) throws {
    func value(_ name: String) -> String? {
        arguments.firstIndex(of: name).flatMap { arguments.index(after: $0) < arguments.endIndex ? arguments[arguments.index(after: $0)] : nil }
    }
    let streams = value("--streams").flatMap(Int.init) ?? 1
    let steps = value("--steps").flatMap(Int.init) ?? 300
    let precision = value("--precision").flatMap(Precision.init(rawValue:)) ?? .int8
    let config = try PocketTTSConfig.b6369a24()
    let dims = try FlowLMDimensions(config: config)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-bench-profile-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try RandomWeights.write(config: config, seed: 1, dtype: .bfloat16, to: url)
    let file = try SafetensorsFile(contentsOf: url)
    let model = try FlowLM(weights: WeightReader(file: file, keepBFloat16: true).scoped("flow_lm."), dimensions: dims,
                           precision: precision)
    let pool = WorkerPool()
    var voice = model.makeState(capacity: 125 + 43 + 8)
    try model.prompt(conditioning: Tensor.random([125, dims.modelDim], seed: 3), state: &voice, pool: pool)
    var rng = SplitMix64(seed: 7)
    try model.prompt(textTokens: (0..<43).map { _ in Int.random(in: 0..<4000, using: &rng) }, state: &voice, pool: pool)
    let sampling = FlowLMSampling(temperature: 0.7, lsdSteps: 1, eosThreshold: 1e9)
    var states = [FlowLM.State](repeating: voice, count: streams)
    // Each its own caches now (a grown copy), not on the first step's write (copy on write).
    for i in states.indices { states[i].reserveCapacity(voice.length + steps + 16) }
    var generators = (0..<streams).map { SplitMix64(seed: UInt64($0)) }
    var latents = [Float](repeating: .nan, count: streams * dims.latentDim)
    var logits = [Float](repeating: 0, count: streams)
    var workspace = FlowLM.Workspace()
    var samples: [Sample] = []
    for _ in 0..<steps {
        samples.append(measure {
            states.withUnsafeMutableBufferPointer { st in
                generators.withUnsafeMutableBufferPointer { g in
                    latents.withUnsafeMutableBufferPointer { l in
                        logits.withUnsafeMutableBufferPointer { e in
                            model.stepBatch(latents: UnsafeBufferPointer(l), states: st, generators: g, sampling: sampling,
                                            workspace: &workspace, latentsOut: l, eosLogits: e)
                        }
                    }
                }
            }
        })
    }
    print("profile: \(precision), B=\(streams), \(steps) steps (cache 168 → \(168 + steps) positions): \(summary(samples))")
}
