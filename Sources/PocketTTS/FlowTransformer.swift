import Kernels

/// One FlowLM transformer layer: pocket_tts/modules/mimi_transformer.py `StreamingTransformerLayer`
/// built with attention_kind "flow_lm" (`StreamingMultiheadAttention`, full causal history),
/// pre-norm LayerNorm (eps 1e-5), exact GELU feed-forward, no biases, no layer scale.
public struct FlowTransformerLayer: Sendable {
    public let norm1: LayerNorm  // norm1.weight, norm1.bias [d]
    public let inProjection: Linear  // self_attn.in_proj.weight [3d, d], rows packed [q | k | v] (h, hd)
    public let outProjection: Linear  // self_attn.out_proj.weight [d, d]
    public let norm2: LayerNorm  // norm2.weight, norm2.bias [d]
    public let linear1: Linear  // linear1.weight [ffn, d]
    public let linear2: Linear  // linear2.weight [d, ffn]

    public init(norm1: LayerNorm, inProjection: Linear, outProjection: Linear, norm2: LayerNorm,
                linear1: Linear, linear2: Linear) {
        let d = norm1.dim
        precondition(inProjection.inFeatures == d && inProjection.outFeatures == 3 * d, "FlowTransformerLayer: in_proj")
        precondition(outProjection.inFeatures == d && outProjection.outFeatures == d, "FlowTransformerLayer: out_proj")
        precondition(norm2.dim == d && linear1.inFeatures == d && linear2.outFeatures == d
                     && linear2.inFeatures == linear1.outFeatures, "FlowTransformerLayer: feed-forward")
        self.norm1 = norm1
        self.inProjection = inProjection
        self.outProjection = outProjection
        self.norm2 = norm2
        self.linear1 = linear1
        self.linear2 = linear2
    }
}

/// The FlowLM backbone (`StreamingTransformer`, kind "flow_lm"): layers sharing one RoPE.
/// Works on several streams at once: every linear layer is one sgemm over the rows of all
/// streams; attention runs per stream against that stream's own KV cache.
public struct FlowTransformer: Sendable {
    public let layers: [FlowTransformerLayer]
    public let rope: RoPE
    public let attention: Attention
    public let modelDim: Int
    public let feedForwardDim: Int
    /// Steps and prompts attend with `Attention.forwardOneQuery` (the cache read once per row for
    /// all heads): in the reduced precisions. `Precision.exact` keeps the BLAS form, bit for bit.
    public let usesOneQueryAttention: Bool
    /// KV caches in bfloat16 with the one-query attention (the reduced precisions), f32 with
    /// the BLAS form (`Precision.exact`).
    public var cacheElement: FlowLM.KVCache.Element { usesOneQueryAttention ? .bfloat16 : .float32 }

    public init(layers: [FlowTransformerLayer], headCount: Int, maxPeriod: Double) {
        precondition(!layers.isEmpty, "FlowTransformer: no layers")
        let d = layers[0].norm1.dim
        precondition(d % headCount == 0, "FlowTransformer: d_model \(d) not divisible by \(headCount) heads")
        precondition(layers.allSatisfy { $0.norm1.dim == d && $0.linear1.outFeatures == layers[0].linear1.outFeatures },
                     "FlowTransformer: layers differ in size")
        self.layers = layers
        self.modelDim = d
        self.feedForwardDim = layers[0].linear1.outFeatures
        self.rope = RoPE(headDim: d / headCount, maxPeriod: maxPeriod)
        self.attention = Attention(heads: headCount, headDim: d / headCount)
        self.usesOneQueryAttention = layers[0].inProjection.precision != .exact
    }

    /// Scratch pointers of one forward call over R rows (all streams together).
    struct Buffers {
        let x: UnsafeMutablePointer<Float>  // [R, d] residual stream: input and output
        let normed: UnsafeMutablePointer<Float>  // [R, d]
        let qkv: UnsafeMutablePointer<Float>  // [R, 3d]
        let attended: UnsafeMutablePointer<Float>  // [R, d]
        let hidden: UnsafeMutablePointer<Float>  // [R, ffn]
        let scores: UnsafeMutablePointer<Float>  // [scoreCount] attention probabilities of one stream

        static func floatCount(rows: Int, scoreCount: Int, modelDim d: Int, feedForwardDim f: Int) -> Int {
            rows * (6 * d + f) + scoreCount
        }

        init(base: UnsafeMutablePointer<Float>, rows: Int, modelDim d: Int, feedForwardDim f: Int) {
            x = base
            normed = x + rows * d
            qkv = normed + rows * d
            attended = qkv + rows * 3 * d
            hidden = attended + rows * d
            scores = hidden + rows * f
        }
    }

    /// Runs every layer on `buffers.x` in place. Stream b owns rows b·T..<(b+1)·T
    /// (T = `rowsPerStream`), at absolute positions cache.length..<cache.length+T of
    /// `streams[b]`, whose caches must have room for them (`KVCache.ensureRoom`). Appends the
    /// new keys/values and advances each cache's length by T. `buffers.scores` must hold
    /// `scoreCount(rows: T, keys: length + T)` floats for the longest stream. Allocation-free.
    /// pocket_tts `StreamingTransformer.forward` + `increment_steps`.
    func forward(streams: UnsafeMutableBufferPointer<FlowLM.State>, rowsPerStream T: Int, buffers: Buffers) {
        let d = modelDim
        let rows = streams.count * T
        let (x, normed, qkv, attended, hidden) = (buffers.x, buffers.normed, buffers.qkv, buffers.attended, buffers.hidden)
        for (index, layer) in layers.enumerated() {
            // _sa_block: x + out_proj(attention(in_proj(norm1(x))))
            layer.norm1.forward(x, rows: rows, into: normed)
            layer.inProjection.forward(normed, rows: rows, into: qkv)
            for b in 0..<streams.count {
                attend(layer: index, qkv: qkv + b * T * 3 * d, count: T,
                       cache: &streams[b].cache, into: attended + b * T * d, scores: buffers.scores)
            }
            layer.outProjection.forward(attended, rows: rows, into: x, accumulate: true)
            // _ff_block: x + linear2(gelu(linear1(norm2(x))))
            layer.norm2.forward(x, rows: rows, into: normed)
            layer.linear1.forward(normed, rows: rows, into: hidden)
            gelu(hidden, rows: rows)
            layer.linear2.forward(hidden, rows: rows, into: x, accumulate: true)
        }
        for b in 0..<streams.count { streams[b].cache.length += T }
    }

    /// Head pieces of a prompt's attention (each with its own score row).
    static let attentionPieces = 4

    /// Floats of `Buffers.scores` for `rows` queries (rows per stream) over `keys` keys: one
    /// score row per head piece (queries are attended one at a time), of every head with
    /// `usesOneQueryAttention`.
    func scoreCount(rows: Int, keys: Int) -> Int {
        (Linear.splitsOutputs(rows: rows) ? FlowTransformer.attentionPieces : 1) * scoresPerPiece(keys: keys)
    }

    /// Floats of one head piece's scores over `keys` keys.
    private func scoresPerPiece(keys: Int) -> Int {
        usesOneQueryAttention ? Attention.oneQueryScratchCount(keyCount: keys, headCount: attention.heads) : keys
    }

    /// GELU in place on [rows, feedForwardDim]; prompts share the rows out with the linear
    /// layers' worker thread (elementwise: the same values).
    private func gelu(_ hidden: UnsafeMutablePointer<Float>, rows: Int) {
        let f = feedForwardDim
        guard Linear.splitsOutputs(rows: rows) else {
            Activation.gelu(hidden, count: rows * f)
            return
        }
        let pieces = 8
        LinearWorker.current.parallelFor(pieces) { i in
            let (start, end) = (rows * i / pieces, rows * (i + 1) / pieces)
            Activation.gelu(hidden + start * f, count: (end - start) * f)
        }
    }

    /// `StreamingMultiheadAttention.forward` after in_proj for one stream: RoPE on q and k at
    /// the stream's positions, k and v appended to the cache (`complete_kv`), causal attention
    /// over the whole history. qkv: [T, 3, H, hd] rows; output: [T, d].
    private func attend(
        layer: Int, qkv: UnsafeMutablePointer<Float>, count T: Int, cache: inout FlowLM.KVCache,
        into output: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>
    ) {
        let d = modelDim
        let start = cache.length
        precondition(start + T <= cache.capacity, "FlowTransformer: KV cache has no room (call ensureRoom)")
        rope.apply(qkv, count: T, heads: attention.heads, offset: start, rowStride: 3 * d)
        rope.apply(qkv + d, count: T, heads: attention.heads, offset: start, rowStride: 3 * d)
        cache.withLayer(layer) { rows in
            switch rows {
            case .float32(let keys, let values):
                for t in 0..<T {
                    (keys + (start + t) * d).update(from: qkv + t * 3 * d + d, count: d)
                    (values + (start + t) * d).update(from: qkv + t * 3 * d + 2 * d, count: d)
                }
            case .bfloat16(let keys, let values):  // rounded to nearest even as written
                for t in 0..<T {
                    SkinnyLinear.round(qkv + t * 3 * d + d, toBFloat16: keys + (start + t) * d, count: d)
                    SkinnyLinear.round(qkv + t * 3 * d + 2 * d, toBFloat16: values + (start + t) * d, count: d)
                }
            }
            // Prompts: the heads in pieces on two threads, each piece its own score row.
            let H = attention.heads
            let pieces = Linear.splitsOutputs(rows: T) ? FlowTransformer.attentionPieces : 1
            LinearWorker.current.parallelFor(pieces) { i in
                let heads = H * i / pieces..<H * (i + 1) / pieces
                // Query by query, each over its own visible keys: the arithmetic of a single
                // step at that position, so a prompt gives the same values however it is sliced.
                let scratch = scores + i * scoresPerPiece(keys: start + T)
                for t in 0..<T {
                    switch rows {
                    case .float32(let keys, let values) where usesOneQueryAttention:
                        attention.forwardOneQuery(query: qkv + t * 3 * d, keys: keys, values: values, keyCount: start + t + 1,
                                                  into: output + t * d, scratch: scratch, heads: heads)
                    case .float32(let keys, let values):
                        attention.forward(queries: qkv + t * 3 * d, queryCount: 1, queryStart: start + t,
                                          keys: keys, values: values, keyCount: start + t + 1, keyStart: 0,
                                          into: output + t * d, scratch: scratch, queryRowStride: 3 * d, heads: heads)
                    case .bfloat16(let keys, let values):
                        attention.forwardOneQuery(query: qkv + t * 3 * d, keys: keys, values: values, keyCount: start + t + 1,
                                                  into: output + t * d, scratch: scratch, heads: heads)
                    }
                }
            }
        }
    }
}
