import Kernels
@testable import PocketTTS

/// Random FlowLM checkpoints with the reference's tensor names, for tests without fixtures.
enum FlowLMTestSupport {
    /// The fixtures' tiny config (Fixtures/reference/tiny.yaml), as pocket-tts 1.1.1 ran it.
    static let tiny = FlowLMDimensions(
        modelDim: 64, headCount: 2, layerCount: 2, feedForwardDim: 256, maxPeriod: 10_000,
        vocabularySize: 512, latentDim: 32, flowDim: 48, flowDepth: 2, speakerDim: 32, geluApproximation: .none)

    /// Every `flow_lm.*` tensor of `TTSModel.state_dict()` with its shape.
    static func tensorShapes(_ m: FlowLMDimensions) -> [String: [Int]] {
        let (d, l, n, f, fq) = (m.modelDim, m.latentDim, m.flowDim, m.feedForwardDim, m.timeFrequencyDim)
        var shapes: [String: [Int]] = [
            "conditioner.embed.weight": [m.vocabularySize + 1, d],
            "input_linear.weight": [d, l],
            "bos_emb": [l], "emb_std": [l], "emb_mean": [l],
            "out_norm.weight": [d], "out_norm.bias": [d],
            "out_eos.weight": [1, d], "out_eos.bias": [1],
            "speaker_proj_weight": [d, m.speakerDim],
            "flow_net.cond_embed.weight": [n, d], "flow_net.cond_embed.bias": [n],
            "flow_net.input_proj.weight": [n, l], "flow_net.input_proj.bias": [n],
            "flow_net.final_layer.linear.weight": [l, n], "flow_net.final_layer.linear.bias": [l],
            "flow_net.final_layer.adaLN_modulation.1.weight": [2 * n, n],
            "flow_net.final_layer.adaLN_modulation.1.bias": [2 * n],
        ]
        for i in 0..<m.layerCount {
            let p = "transformer.layers.\(i)."
            shapes[p + "self_attn.in_proj.weight"] = [3 * d, d]
            shapes[p + "self_attn.out_proj.weight"] = [d, d]
            shapes[p + "linear1.weight"] = [f, d]
            shapes[p + "linear2.weight"] = [d, f]
            for norm in ["norm1", "norm2"] {
                shapes[p + norm + ".weight"] = [d]
                shapes[p + norm + ".bias"] = [d]
            }
        }
        for i in 0..<2 {
            let p = "flow_net.time_embed.\(i)."
            shapes[p + "freqs"] = [fq / 2]
            shapes[p + "mlp.0.weight"] = [n, fq]
            shapes[p + "mlp.0.bias"] = [n]
            shapes[p + "mlp.2.weight"] = [n, n]
            shapes[p + "mlp.2.bias"] = [n]
            shapes[p + "mlp.3.alpha"] = [n]
        }
        for i in 0..<m.flowDepth {
            let p = "flow_net.res_blocks.\(i)."
            shapes[p + "in_ln.weight"] = [n]
            shapes[p + "in_ln.bias"] = [n]
            shapes[p + "mlp.0.weight"] = [n, n]
            shapes[p + "mlp.0.bias"] = [n]
            shapes[p + "mlp.2.weight"] = [n, n]
            shapes[p + "mlp.2.bias"] = [n]
            shapes[p + "adaLN_modulation.1.weight"] = [3 * n, n]
            shapes[p + "adaLN_modulation.1.bias"] = [3 * n]
        }
        return Dictionary(uniqueKeysWithValues: shapes.map { ("flow_lm." + $0.key, $0.value) })
    }

    /// Seeded random weights: linears ~ U(±1/√in), norms near 1, real time frequencies.
    static func randomWeights(_ m: FlowLMDimensions, seed: UInt64) -> [String: Tensor] {
        var rng = SplitMix64(seed: seed)
        var out: [String: Tensor] = [:]
        for (name, shape) in tensorShapes(m).sorted(by: { $0.key < $1.key }) {
            var t: Tensor
            if name.hasSuffix(".freqs") {
                let half = shape[0]
                t = Tensor(shape: shape, data: (0..<half).map { k in
                    Float(LibM.exp(-LibM.log(10_000) * Double(k) / Double(half)))
                })
            } else if name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name.hasSuffix("in_ln.weight")
                        || name.hasSuffix("out_norm.weight") || name.hasSuffix(".alpha") || name.hasSuffix("emb_std") {
                t = Tensor.random(shape, using: &rng, in: 0.8...1.2)
            } else if shape.count == 2 {
                let bound = 1 / Float(shape[1]).squareRoot()
                t = Tensor.random(shape, using: &rng, in: -bound...bound)
            } else {
                t = Tensor.random(shape, using: &rng, in: -0.3...0.3)
            }
            out[name] = t
        }
        return out
    }

    static func randomModel(_ m: FlowLMDimensions = tiny, seed: UInt64 = 1) throws -> FlowLM {
        let reader = WeightReader(tensors: randomWeights(m, seed: seed))
        let model = try FlowLM(weights: reader.scoped("flow_lm."), dimensions: m)
        try reader.finish()
        return model
    }

    /// Rows lo..<hi of a rank-2 tensor.
    static func rows(_ x: Tensor, _ range: Range<Int>) -> Tensor {
        let c = x.shape[1]
        return Tensor(shape: [range.count, c], data: Array(x.data[range.lowerBound * c..<range.upperBound * c]))
    }

    /// Rank-2 tensors stacked along rows.
    static func concat(_ parts: [Tensor]) -> Tensor {
        Tensor(shape: [parts.reduce(0) { $0 + $1.shape[0] }, parts[0].shape[1]], data: parts.flatMap { $0.data })
    }

    /// Random positive chunk sizes summing to `total`.
    static func chunks(_ total: Int, maxChunk: Int, using rng: inout SplitMix64) -> [Int] {
        var out: [Int] = []
        var left = total
        while left > 0 {
            let c = min(left, Int.random(in: 1...maxChunk, using: &rng))
            out.append(c)
            left -= c
        }
        return out
    }

    /// max |a - b| / max(1, max |b|).
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        Tensor.maxAbsDifference(a, b) / max(1, b.reduce(0) { max($0, abs($1)) })
    }
}
