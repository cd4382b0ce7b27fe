// kernel-bench: FlowLM's linear layers and steps at full size, old and new paths side by side.
// Usage: kernel-bench [linears] [flowlm] [ttfa] [split] [quality] [mimi] [profile] [--reps N] [--model NAME (flowlm, quality)]
//   (release build; see Benchmarks/README.md)
import Foundation
import Kernels
import PocketTTS

// MARK: Timing

/// Milliseconds of wall time and of this thread's CPU time (the latter ignores time spent
/// descheduled on a busy machine, not memory contention).
struct Sample { var wall: Double; var cpu: Double }

func clock(_ id: clockid_t) -> Double {
    var t = timespec()
    clock_gettime(id, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
}

func measure(_ body: () -> Void) -> Sample {
    let (w, c) = (clock(CLOCK_MONOTONIC), clock(CLOCK_THREAD_CPUTIME_ID))
    body()
    return Sample(wall: clock(CLOCK_MONOTONIC) - w, cpu: clock(CLOCK_THREAD_CPUTIME_ID) - c)
}

/// "min / median" of each clock over the samples.
func summary(_ samples: [Sample]) -> String {
    func stats(_ v: [Double]) -> String {
        let s = v.sorted()
        return String(format: "%6.2f / %6.2f", s[0], s[s.count / 2])
    }
    return "cpu " + stats(samples.map(\.cpu)) + "   wall " + stats(samples.map(\.wall))
}

if let note = BLAS.useKernelsForThisCPU() { print(note) }  // as `pocket-tts` does
let arguments = CommandLine.arguments.dropFirst()
let reps = arguments.firstIndex(of: "--reps").flatMap { Int(arguments[arguments.index(after: $0)]) } ?? 9
let parts = Set(arguments.filter { ["linears", "flowlm", "ttfa", "split", "quality", "mimi", "profile"].contains($0) })
let runAll = parts.isEmpty && !arguments.contains("profile")
BLAS.setThreadCount(1)
print("AVX-512: \(SkinnyLinear.hasAVX512), AVX-512 BF16: \(SkinnyLinear.hasAVX512BF16), AVX-512 VNNI: \(SkinnyLinear.hasAVX512VNNI), "
      + "AVX2 + FMA: \(SkinnyLinear.hasAVX2), "
      + "BLAS threads 1, reps \(reps), load average \(loadAverageText())")

/// The 1, 5 and 15-minute load averages.
func loadAverageText() -> String {
    var loads = [Double](repeating: 0, count: 3)
    guard getloadavg(&loads, 3) == 3 else { return "?" }
    return loads.map { String(format: "%.2f", $0) }.joined(separator: " ")
}

// MARK: Linear layers: the 24 transformer matrices of FlowLM (6 layers × in_proj, out_proj, FFN)

func benchmarkLinears(reps: Int) {
    let shapes: [(out: Int, in: Int)] = [(3072, 1024), (1024, 1024), (4096, 1024), (1024, 4096)]
    var f32: [[Float]] = []
    var bf16: [[UInt16]] = []
    var int8: [Int8Weights] = []
    for layer in 0..<6 {
        for (index, shape) in shapes.enumerated() {
            let w = Tensor.random([shape.out * shape.in], seed: UInt64(10 * layer + index), in: -0.03...0.03).data
            bf16.append(w.map { FloatConversion.bfloat16(from: $0) })
            f32.append(bf16.last!.map { FloatConversion.float(fromBFloat16: $0) })
            int8.append(Int8Weights(quantizing: .bfloat16(bf16.last!), outFeatures: shape.out, inFeatures: shape.in))
        }
    }
    let megabytes = Double(f32.reduce(0) { $0 + $1.count }) * 4 / 1e6
    print(String(format: "\nLinear: 24 matrices, %.0f MB as f32; ms per pass over all of them (min / median)", megabytes))
    let x = Tensor.random([128 * 4096], seed: 99).data
    var y = [Float](repeating: 0, count: 128 * 4096)
    let block = UnsafeMutablePointer<Float>.allocate(capacity: 4096 * 4096)
    defer { block.deallocate() }

    /// One pass over the 24 matrices: body(layer index, out, in, y).
    func pass(_ body: @escaping (Int, Int, Int, UnsafeMutablePointer<Float>) -> Void) -> () -> Void {
        {
            y.withUnsafeMutableBufferPointer { yp in
                for i in 0..<24 { body(i, shapes[i % 4].out, shapes[i % 4].in, yp.baseAddress!) }
            }
        }
    }
    /// Old policy: one sgemv per row up to 3 rows, else one sgemm.
    func blas(_ rows: Int) -> () -> Void {
        pass { i, n, k, yp in
            f32[i].withUnsafeBufferPointer { w in
                if rows <= 3 {
                    for r in 0..<rows { BLAS.sgemv(m: n, n: k, a: w.baseAddress!, lda: k, x: x.withUnsafeBufferPointer { $0.baseAddress! } + r * k, y: yp + r * n) }
                } else {
                    x.withUnsafeBufferPointer { BLAS.sgemm(transposeB: true, m: rows, n: n, k: k, a: $0.baseAddress!, lda: k, b: w.baseAddress!, ldb: k, c: yp, ldc: n) }
                }
            }
        }
    }
    func skinny(_ rows: Int, bfloat16: Bool, path: SkinnyLinear.Path = .automatic) -> () -> Void {
        pass { i, n, k, yp in
            x.withUnsafeBufferPointer { xp in
                if bfloat16 {
                    bf16[i].withUnsafeBufferPointer { _ = SkinnyLinear.forward(xp.baseAddress!, rows: rows, inFeatures: k, bfloat16Weight: $0.baseAddress!, outFeatures: n, bias: nil, into: yp, path: path) }
                } else {
                    f32[i].withUnsafeBufferPointer { _ = SkinnyLinear.forward(xp.baseAddress!, rows: rows, inFeatures: k, weight: $0.baseAddress!, outFeatures: n, bias: nil, into: yp, path: path) }
                }
            }
        }
    }
    /// The reduced precisions' kernels: bfloat16 products, int8.
    func reduced(_ rows: Int, _ precision: Precision, path: SkinnyLinear.Path = .automatic) -> () -> Void {
        pass { i, n, k, yp in
            x.withUnsafeBufferPointer { xp in
                if precision == .int8 {
                    _ = SkinnyLinear.forwardInt8(xp.baseAddress!, rows: rows, weight: int8[i], bias: nil, into: yp, path: path)
                } else {
                    bf16[i].withUnsafeBufferPointer { _ = SkinnyLinear.forwardBF16(xp.baseAddress!, rows: rows, inFeatures: k, weight: $0.baseAddress!, outFeatures: n, bias: nil, into: yp, path: path) }
                }
            }
        }
    }
    /// bf16 widened per call into blocks of `bytes`, one sgemm per block (Linear's large-row path).
    func widened(_ rows: Int, bytes: Int) -> () -> Void {
        pass { i, n, k, yp in
            let blockRows = min(n, max(1, bytes / (4 * k)))
            x.withUnsafeBufferPointer { xp in
                bf16[i].withUnsafeBufferPointer { w in
                    var start = 0
                    while start < n {
                        let end = min(n, start + blockRows)
                        SkinnyLinear.widen(bfloat16: w.baseAddress! + start * k, into: block, count: (end - start) * k)
                        BLAS.sgemm(transposeB: true, m: rows, n: end - start, k: k, a: xp.baseAddress!, lda: k, b: block, ldb: k, c: yp + start, ldc: n)
                        start = end
                    }
                }
            }
        }
    }

    for rows in [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128] {
        var variants: [(String, () -> Void)] = [("OpenBLAS f32", blas(rows)), ("CKernels f32", skinny(rows, bfloat16: false)),
                                                ("CKernels bf16", skinny(rows, bfloat16: true)),
                                                ("CKernels bf16 products", reduced(rows, .bf16)), ("CKernels int8", reduced(rows, .int8))]
        if rows == 1 || rows == 8 {
            variants += [("CKernels bf16 scalar", skinny(rows, bfloat16: true, path: .scalar)),
                         ("bf16 products scalar", reduced(rows, .bf16, path: .scalar)), ("int8 scalar", reduced(rows, .int8, path: .scalar))]
        }
        if rows >= 8 { variants += [("bf16 widen 1M+sgemm", widened(rows, bytes: 1 << 20))] }
        if rows == 32 || rows == 128 {
            variants += [("bf16 widen 256K+sgemm", widened(rows, bytes: 1 << 18)), ("bf16 widen 4M+sgemm", widened(rows, bytes: 1 << 22))]
        }
        var samples = [[Sample]](repeating: [], count: variants.count)
        for _ in 0..<reps {  // interleaved, so every variant sees the same machine load
            for (v, variant) in variants.enumerated() { samples[v].append(measure(variant.1)) }
        }
        for (v, variant) in variants.enumerated() {
            print("rows \(String(format: "%3d", rows))  \(variant.0.padding(toLength: 24, withPad: " ", startingAt: 0))  \(summary(samples[v]))")
        }
    }
}

// MARK: FlowLM steps for B streams: exact on f32 and bf16 weights (the same bf16-rounded values), bf16, int8

func benchmarkFlowLM(reps: Int) throws {
    // `--model NAME`: a built-in config (e.g. english_7m_2026-10); the 1.1.1 model by default.
    let model = arguments.firstIndex(of: "--model").map { arguments[arguments.index(after: $0)] }
    let config = try model.map { try ModelCatalog.config(named: $0) } ?? PocketTTSConfig.b6369a24()
    print("FlowLM of \(model ?? "b6369a24 (1.1.1)")")
    let dims = try FlowLMDimensions(config: config)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-bench-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try RandomWeights.write(config: config, seed: 1, dtype: .bfloat16, to: url)
    let file = try SafetensorsFile(contentsOf: url)
    var models: [(String, FlowLM)] = []
    for (name, keepBFloat16, precision) in [("f32", false, Precision.exact), ("exact", true, .exact), ("bf16", true, .bf16),
                                            ("int8", true, .int8)] {
        var model: FlowLM?
        let load = measure {
            model = try! FlowLM(weights: WeightReader(file: file, keepBFloat16: keepBFloat16).scoped("flow_lm."), dimensions: dims,
                                precision: precision)
        }
        print(String(format: "\(name): FlowLM loaded in %.0f ms", load.wall))
        models.append((name, model!))
    }
    print("\nFlowLM step (1 LSD step), B streams after a 125-row voice + 43-token prompt; ms per batched step (min / median)")
    print("f32 / exact: f32 arithmetic on f32 / bf16 weights; bf16: bfloat16 products; int8: int8 weights and activations")
    var rng = SplitMix64(seed: 7)
    let tokens = (0..<43).map { _ in Int.random(in: 0..<4000, using: &rng) }
    let conditioning = Tensor.random([125, dims.modelDim], seed: 3)
    let sampling = FlowLMSampling(temperature: 0.7, lsdSteps: 1, eosThreshold: 1e9)
    let pool = WorkerPool()  // prompts share their layers with it, as in the engine
    for (name, model) in models {
        var voice = model.makeState(capacity: 400)
        var prompts: [(Sample, Sample)] = []
        for _ in 0..<3 {
            var state = model.makeState(capacity: 400)
            let audio = measure { try! model.prompt(conditioning: conditioning, state: &state, pool: pool) }
            let text = measure { try! model.prompt(textTokens: tokens, state: &state, pool: pool) }
            prompts.append((audio, text))
            voice = state
        }
        print("\(name) prompt: 125 voice rows \(summary(prompts.map(\.0))); 43 text rows \(summary(prompts.map(\.1)))")
        for streams in [1, 2, 4, 8] {
            var states = [FlowLM.State](repeating: voice, count: streams)
            var generators = (0..<streams).map { SplitMix64(seed: UInt64($0)) }
            var latents = [Float](repeating: .nan, count: streams * dims.latentDim)
            var next = latents
            var logits = [Float](repeating: 0, count: streams)
            var workspace = FlowLM.Workspace()
            var samples: [Sample] = []
            for i in 0..<(3 + 3 * reps) {
                let s = measure {
                    latents.withUnsafeBufferPointer { l in
                        states.withUnsafeMutableBufferPointer { st in
                            generators.withUnsafeMutableBufferPointer { g in
                                next.withUnsafeMutableBufferPointer { o in
                                    logits.withUnsafeMutableBufferPointer { e in
                                        model.stepBatch(latents: l, states: st, generators: g, sampling: sampling,
                                                        workspace: &workspace, latentsOut: o, eosLogits: e)
                                    }
                                }
                            }
                        }
                    }
                }
                swap(&latents, &next)
                if i >= 3 { samples.append(s) }
            }
            let median = samples.map(\.cpu).sorted()[samples.count / 2]
            print("\(name.padding(toLength: 5, withPad: " ", startingAt: 0)) B=\(streams)  \(summary(samples))   "
                  + String(format: "(%.2f ms cpu per stream-step)", median / Double(streams)))
        }
    }
}

if runAll || parts.contains("linears") { benchmarkLinears(reps: reps) }
if runAll || parts.contains("flowlm") { try benchmarkFlowLM(reps: reps) }
if runAll || parts.contains("ttfa") { try benchmarkTTFA(reps: reps) }
if runAll || parts.contains("split") { benchmarkSplit(reps: reps) }
if runAll || parts.contains("quality") {
    try measureQuality(modelName: arguments.firstIndex(of: "--model").map { arguments[arguments.index(after: $0)] })
}
if parts.contains("profile") { try profileFlowLM(arguments: arguments) }
if parts.contains("mimi") { try benchmarkMimi(reps: reps) }
