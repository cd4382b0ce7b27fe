// MimiTransformerLayer: one `StreamingTransformerLayer` of pocket_tts/modules/mimi_transformer.py
// (attention kind "mimi", LayerScale), and how its four projections multiply.
import Kernels

/// One pre-norm layer: x += s1 ⊙ attn(LN1(x)); x += s2 ⊙ W2·GELU(W1·LN2(x)). No biases
/// in the projections; LayerNorms (eps 1e-5) have weight and bias.
public struct MimiTransformerLayer: Sendable {
    public let norm1: LayerNorm  // norm1.weight [d], norm1.bias [d]
    public let inProjection: Linear  // self_attn.in_proj.weight [3d, d]: rows [q | k | v], each (head, dim)
    public let outProjection: Linear  // self_attn.out_proj.weight [d, d]
    public let layerScale1: [Float]  // layer_scale_1.scale [d]
    public let norm2: LayerNorm  // norm2.weight [d], norm2.bias [d]
    public let linear1: Linear  // linear1.weight [ffn, d]
    public let linear2: Linear  // linear2.weight [d, ffn]
    public let layerScale2: [Float]  // layer_scale_2.scale [d]
    /// The four projections in the form the reduced precisions multiply (the decoder under
    /// `Precision.bf16` / `.int8`); nil: the exact path (`Linear`'s f32 weights).
    public let reduced: ReducedProjections?

    /// How the projections multiply, chosen at load (`Mimi.transformerArithmetic`).
    public enum Arithmetic: Sendable, Equatable {
        /// f32 products on the weights as loaded (OpenBLAS / `SkinnyGEMM`).
        case exact
        /// `PackedWeights` of that kind (the decoder under `Precision.bf16`).
        case packed(PackedWeights.Products)
        /// `Int8Weights` through `SkinnyLinear.forwardInt8` (AVX512-VNNI; the decoder under
        /// `Precision.int8`): activations quantized per row, exact integer sums.
        case int8
    }

    /// One projection's weights in a reduced precision.
    public enum ReducedWeights: Sendable {
        case packed(PackedWeights)
        case int8(Int8Weights)
    }

    /// in_proj, out_proj, linear1, linear2 in a reduced precision. Either form computes every
    /// output row from its own input row only, by the same operations whatever the other rows:
    /// a stream's rows come out bit for bit the same decoded alone or batched with others.
    public struct ReducedProjections: Sendable {
        public let inProjection, outProjection, linear1, linear2: ReducedWeights
    }

    public init(
        norm1: LayerNorm, inProjection: Linear, outProjection: Linear, layerScale1: [Float],
        norm2: LayerNorm, linear1: Linear, linear2: Linear, layerScale2: [Float],
        arithmetic: Arithmetic = .exact
    ) {
        let d = norm1.dim
        precondition(inProjection.inFeatures == d && inProjection.outFeatures == 3 * d, "MimiTransformerLayer: in_proj shape")
        precondition(outProjection.inFeatures == d && outProjection.outFeatures == d, "MimiTransformerLayer: out_proj shape")
        precondition(linear1.inFeatures == d && linear2.outFeatures == d && linear2.inFeatures == linear1.outFeatures,
                     "MimiTransformerLayer: feed-forward shapes")
        precondition([inProjection, outProjection, linear1, linear2].allSatisfy { $0.bias == nil },
                     "MimiTransformerLayer: projections have no bias")
        precondition(layerScale1.count == d && layerScale2.count == d && norm2.dim == d, "MimiTransformerLayer: dims")
        self.norm1 = norm1
        self.inProjection = inProjection
        self.outProjection = outProjection
        self.layerScale1 = layerScale1
        self.norm2 = norm2
        self.linear1 = linear1
        self.linear2 = linear2
        self.layerScale2 = layerScale2
        func weights(_ l: Linear) -> ReducedWeights? {
            switch arithmetic {
            case .exact:
                return nil
            case .packed(let p):
                return .packed(PackedWeights(p, weights: l.weight, rows: l.outFeatures, depth: l.inFeatures))
            case .int8:
                return .int8(Int8Weights(quantizing: l.weights, outFeatures: l.outFeatures, inFeatures: l.inFeatures))
            }
        }
        if let a = weights(inProjection), let b = weights(outProjection), let c = weights(linear1), let e = weights(linear2) {
            reduced = ReducedProjections(inProjection: a, outProjection: b, linear1: c, linear2: e)
        } else {
            reduced = nil
        }
    }

    public var dModel: Int { norm1.dim }
    public var feedForwardDimension: Int { linear1.outFeatures }

    /// The arithmetic the projections were built for.
    public var arithmetic: Arithmetic {
        switch reduced?.linear1 {
        case nil: .exact
        case .packed(let p): .packed(p.products)
        case .int8: .int8
        }
    }
}

extension MimiTransformerLayer.ReducedWeights {
    /// Words of packed activations `multiply` needs for `rows` rows (0 for int8: the kernel
    /// quantizes into its own buffer).
    func packedWords(rows: Int) -> Int {
        switch self {
        case .packed(let p): p.activationWords(stride: PackedWeights.stride(columns: rows))
        case .int8: 0
        }
    }

    /// y[R, out] = x[R, in]·Wᵀ (rows contiguous), on the calling thread; `packed`: scratch of
    /// `packedWords(rows: R)` words.
    func multiply(
        _ x: UnsafePointer<Float>, rows R: Int, into y: UnsafeMutablePointer<Float>,
        packed: UnsafeMutablePointer<UInt32>
    ) {
        switch self {
        case .packed(let panels):
            // (W·xᵀ)ᵀ: xᵀ packed straight from the rows, the product stored transposed.
            let ldp = PackedWeights.stride(columns: R)
            panels.pack(x, columns: R, channelStride: 1, columnStride: panels.depth, into: packed, stride: ldp)
            panels.multiply(packed, columns: R, stride: ldp, bias: nil, into: y, ldc: 1, columnStride: panels.rows)
        case .int8(let weights):
            SkinnyLinear.forwardInt8(x, rows: R, weight: weights, bias: nil, into: y)
        }
    }
}
