// Shared helpers of the Mimi tests: the tiny config of the fixtures, a random checkpoint with
// the reference's `mimi.*` key names (listed here independently of the loader), comparisons.
import Foundation
import Kernels
@testable import PocketTTS

enum MimiTestSupport {
    static let referenceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reference")

    /// Fixtures/reference401: pocket-tts 4.0.1's Mimi (Scripts/reference/make_mimi_fixtures_401.py).
    static let reference401Directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reference401")

    /// Fixtures/reference/tiny.yaml (the whole model config).
    /// As pocket-tts 1.1.1 ran it (exact GELU): the fixtures are 1.1.1's.
    static let tinyModelConfig = {
        var config = try! PocketTTSConfig(contentsOf: referenceDirectory.appendingPathComponent("tiny.yaml"))
        config.geluApproximation = .none  // the ring is tinyConfig's; the whole-context cache is tested too
        return config
    }()

    /// The `mimi:` section of Fixtures/reference/tiny.yaml, with 1.1.1's decoder attention ring.
    static let tinyConfig = {
        var mimi = tinyModelConfig.mimi
        mimi.attentionCache = .contextRing
        return mimi
    }()

    /// The shipped Configs/b6369a24.yaml.
    static let fullModelConfig = try! PocketTTSConfig(contentsOf: URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Configs/b6369a24.yaml"))

    /// Names and shapes of every `mimi.*` tensor of `MimiModel.state_dict()` for `config`
    /// (one residual layer per stage, no input/output projections: d_model == dimension).
    static func expectedShapes(_ config: MimiConfig) -> [String: [Int]] {
        precondition(config.seanet.residualLayerCount == 1)
        let s = config.seanet
        let (F, D, stride) = (s.filterCount, s.dimension, config.resampleStride)
        var shapes: [String: [Int]] = [:]
        func conv(_ name: String, _ cout: Int, _ cin: Int, _ k: Int) {
            shapes["mimi.\(name).conv.weight"] = [cout, cin, k]
            shapes["mimi.\(name).conv.bias"] = [cout]
        }
        func residual(_ name: String, _ dim: Int) {
            conv("\(name).block.1", dim / s.compress, dim, s.residualKernelSize)
            conv("\(name).block.3", dim, dim / s.compress, 1)
        }
        // encoder.model: 0 conv, [res, ELU, conv] per reversed ratio, ELU, conv
        conv("encoder.model.0", F, 1, s.kernelSize)
        var (i, mult) = (1, 1)
        for r in s.ratios.reversed() {
            residual("encoder.model.\(i)", mult * F)
            conv("encoder.model.\(i + 2)", 2 * mult * F, mult * F, 2 * r)
            (i, mult) = (i + 3, mult * 2)
        }
        conv("encoder.model.\(i + 1)", D, mult * F, s.lastKernelSize)
        // decoder.model: 0 conv, [ELU, convtr, res] per ratio, ELU, conv
        conv("decoder.model.0", mult * F, D, s.kernelSize)
        i = 1
        for r in s.ratios {
            shapes["mimi.decoder.model.\(i + 1).convtr.weight"] = [mult * F, mult * F / 2, 2 * r]
            shapes["mimi.decoder.model.\(i + 1).convtr.bias"] = [mult * F / 2]
            residual("decoder.model.\(i + 2)", mult * F / 2)
            (i, mult) = (i + 3, mult / 2)
        }
        conv("decoder.model.\(i + 1)", 1, F, s.lastKernelSize)
        let t = config.transformer
        for side in ["encoder_transformer", "decoder_transformer"] {
            for l in 0..<t.layerCount {
                let p = "mimi.\(side).transformer.layers.\(l)."
                shapes[p + "self_attn.in_proj.weight"] = [3 * t.modelDimension, t.modelDimension]
                shapes[p + "self_attn.out_proj.weight"] = [t.modelDimension, t.modelDimension]
                for n in ["norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
                          "layer_scale_1.scale", "layer_scale_2.scale"] { shapes[p + n] = [t.modelDimension] }
                shapes[p + "linear1.weight"] = [t.feedForwardDimension, t.modelDimension]
                shapes[p + "linear2.weight"] = [t.modelDimension, t.feedForwardDimension]
            }
        }
        shapes["mimi.quantizer.output_proj.weight"] = [D, config.quantizer.dimension, 1]
        shapes["mimi.downsample.conv.conv.weight"] = [D, D, 2 * stride]
        shapes["mimi.upsample.convtr.convtr.weight"] = [D, 1, 2 * stride]
        return shapes
    }

    /// Seeded random weights with sane magnitudes: ±1/√fan-in for matrices, ~1 for norm
    /// weights, ~0.1 for layer scales and biases.
    static func randomWeights(_ config: MimiConfig, seed: UInt64) -> [String: Tensor] {
        var rng = SplitMix64(seed: seed)
        var out: [String: Tensor] = [:]
        for (name, shape) in expectedShapes(config).sorted(by: { $0.key < $1.key }) {
            var t: Tensor
            if name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") {
                t = Tensor.random(shape, using: &rng, in: 0.8...1.2)
            } else if shape.count == 1 {
                t = Tensor.random(shape, using: &rng, in: -0.1...0.1)
            } else {
                let fanIn = shape.dropFirst().reduce(1, *)
                let a = 1.5 / Float(fanIn).squareRoot()
                t = Tensor.random(shape, using: &rng, in: -a...a)
            }
            out[name] = t
        }
        return out
    }

    /// The tiny 1.1.1 config's codec (its exact-erf GELU) with `randomWeights`.
    static func randomMimi(_ config: MimiConfig = tinyConfig, seed: UInt64 = 7) throws -> Mimi {
        let reader = WeightReader(tensors: randomWeights(config, seed: seed))
        let mimi = try Mimi(config: config, weights: reader.scoped("mimi."), geluApproximation: .none)
        try reader.finish()
        return mimi
    }

    /// max |a − b| / max(1, max |b|).
    static func scaledError(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "scaledError: \(a.shape) vs \(b.shape)")
        return Tensor.maxAbsDifference(a, b) / max(1, b.maxAbs)
    }

    /// Columns start..<start+count of a [R, C] tensor.
    static func columns(_ x: Tensor, _ start: Int, _ count: Int) -> Tensor {
        let (R, C) = (x.shape[0], x.shape[1])
        var out = [Float](repeating: 0, count: R * count)
        for r in 0..<R { for c in 0..<count { out[r * count + c] = x.data[r * C + start + c] } }
        return Tensor(shape: [R, count], data: out)
    }

    /// `decoder.forwardBatch` on one latent row per state: the B frames of audio, stream after stream.
    static func forwardBatch(
        _ decoder: MimiDecoder, _ latents: Tensor, _ states: inout [MimiDecoder.State], _ scratch: inout MimiDecoder.BatchScratch
    ) -> [Float] {
        var audio = [Float](repeating: .nan, count: states.count * decoder.frameLength)
        latents.data.withUnsafeBufferPointer { x in
            audio.withUnsafeMutableBufferPointer { y in
                states.withUnsafeMutableBufferPointer { states in
                    decoder.forwardBatch(latents: x.baseAddress!, into: y.baseAddress!, states: states, scratch: &scratch)
                }
            }
        }
        return audio
    }

    /// Rows start..<start+count of a [R, C] tensor.
    static func rows(_ x: Tensor, _ start: Int, _ count: Int) -> Tensor {
        let C = x.shape[1]
        return Tensor(shape: [count, C], data: Array(x.data[start * C..<(start + count) * C]))
    }

    /// Concatenates [R, Ci] tensors along columns.
    static func concatColumns(_ parts: [Tensor]) -> Tensor {
        let R = parts[0].shape[0]
        let C = parts.reduce(0) { $0 + $1.shape[1] }
        var out = [Float](repeating: 0, count: R * C)
        var offset = 0
        for p in parts {
            let c = p.shape[1]
            for r in 0..<R { for j in 0..<c { out[r * C + offset + j] = p.data[r * c + j] } }
            offset += c
        }
        return Tensor(shape: [R, C], data: out)
    }

    /// Concatenates [Ri, C] tensors along rows.
    static func concatRows(_ parts: [Tensor]) -> Tensor {
        Tensor(shape: [parts.reduce(0) { $0 + $1.shape[0] }, parts[0].shape[1]], data: parts.flatMap(\.data))
    }

    /// Random chunk lengths (multiples of `unit`, at most `maxUnits` units) summing to `total`.
    static func randomChunks(total: Int, unit: Int, maxUnits: Int, seed: UInt64) -> [Int] {
        precondition(total % unit == 0)
        var rng = SplitMix64(seed: seed)
        var left = total / unit
        var chunks: [Int] = []
        while left > 0 {
            let n = Int.random(in: 1...min(maxUnits, left), using: &rng)
            chunks.append(n * unit)
            left -= n
        }
        return chunks
    }
}
