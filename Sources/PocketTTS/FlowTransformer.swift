import Kernels

/// One FlowLM transformer layer: pocket_tts/modules/transformer.py `StreamingTransformerLayer`
/// (`StreamingMultiheadAttention`, full causal history, optionally grouped-query), pre-norm
/// LayerNorm (eps 1e-5), GELU feed-forward (tanh form in 4.0.1, erf in 1.1.1), no biases,
/// no layer scale.
public struct FlowTransformerLayer: Sendable {
    public let norm1: LayerNorm  // norm1.weight, norm1.bias [d]
    /// self_attn.in_proj.weight [attn_dim + 2·kv_dim, d], rows packed [q (H, hd) | k (Hkv, hd) | v (Hkv, hd)]
    public let inProjection: Linear
    public let outProjection: Linear  // self_attn.out_proj.weight [d, attn_dim]
    public let norm2: LayerNorm  // norm2.weight, norm2.bias [d]
    public let linear1: Linear  // linear1.weight [ffn, d]
    public let linear2: Linear  // linear2.weight [d, ffn]

    public init(norm1: LayerNorm, inProjection: Linear, outProjection: Linear, norm2: LayerNorm,
                linear1: Linear, linear2: Linear) {
        let d = norm1.dim
        let attentionDim = outProjection.inFeatures
        precondition(inProjection.inFeatures == d && inProjection.outFeatures > attentionDim
                     && (inProjection.outFeatures - attentionDim) % 2 == 0, "FlowTransformerLayer: in_proj")
        precondition(outProjection.outFeatures == d, "FlowTransformerLayer: out_proj")
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

/// The FlowLM backbone (`StreamingTransformer`): layers sharing one RoPE.
/// Works on several streams at once: every linear layer is one sgemm over the rows of all
/// streams; attention runs per stream against that stream's own KV cache (keys and values of
/// `attention.keyValueHeads` heads).
public struct FlowTransformer: Sendable {
    public let layers: [FlowTransformerLayer]
    public let rope: RoPE
    public let attention: Attention
    public let modelDim: Int
    public let feedForwardDim: Int
    /// Width of the queries and of the attention output (attn_dim = heads · headDim).
    public let attentionDim: Int
    /// Width of the keys and of the values (kv_dim = keyValueHeads · headDim): one cache row.
    public let keyValueDim: Int
    /// The feed-forward GELU (`F.gelu(approximate="tanh")` in 4.0.1, exact erf in 1.1.1).
    public let geluApproximation: GELUApproximation
    /// Steps and prompts attend with `Attention.forwardOneQuery` (the cache read once per row for
    /// all heads): in the reduced precisions. `Precision.exact` keeps the BLAS form, bit for bit.
    public let usesOneQueryAttention: Bool
    /// KV caches in bfloat16 with the one-query attention (the reduced precisions), f32 with
    /// the BLAS form (`Precision.exact`).
    public var cacheElement: FlowLM.KVCache.Element { usesOneQueryAttention ? .bfloat16 : .float32 }

    /// `keyValueHeadCount` defaults to `headCount`; the head width is attn_dim / headCount with
    /// attn_dim the input width of `out_proj`.
    public init(layers: [FlowTransformerLayer], headCount: Int, keyValueHeadCount: Int? = nil, maxPeriod: Double,
                geluApproximation: GELUApproximation = .tanh) {
        precondition(!layers.isEmpty, "FlowTransformer: no layers")
        let d = layers[0].norm1.dim
        let attentionDim = layers[0].outProjection.inFeatures
        let kvHeads = keyValueHeadCount ?? headCount
        precondition(attentionDim % headCount == 0, "FlowTransformer: attn_dim \(attentionDim) not divisible by \(headCount) heads")
        let headDim = attentionDim / headCount
        precondition(layers[0].inProjection.outFeatures == attentionDim + 2 * kvHeads * headDim,
                     "FlowTransformer: in_proj has \(layers[0].inProjection.outFeatures) rows, expected q + k + v of \(kvHeads) key/value heads")
        precondition(layers.allSatisfy { $0.norm1.dim == d && $0.linear1.outFeatures == layers[0].linear1.outFeatures
                                         && $0.inProjection.outFeatures == layers[0].inProjection.outFeatures
                                         && $0.outProjection.inFeatures == attentionDim },
                     "FlowTransformer: layers differ in size")
        self.layers = layers
        self.modelDim = d
        self.feedForwardDim = layers[0].linear1.outFeatures
        self.attentionDim = attentionDim
        self.keyValueDim = kvHeads * headDim
        self.geluApproximation = geluApproximation
        self.rope = RoPE(headDim: headDim, maxPeriod: maxPeriod)
        self.attention = Attention(heads: headCount, headDim: headDim, keyValueHeads: kvHeads)
        self.usesOneQueryAttention = layers[0].inProjection.arithmetic != .f32
    }

    /// Width of one in_proj row: q | k | v.
    var qkvWidth: Int { attentionDim + 2 * keyValueDim }

    /// Scratch pointers of one forward call over R rows (all streams together), and the
    /// caller's worker pool that prompts share their pieces with (nil: all on the calling thread).
    struct Buffers {
        let x: UnsafeMutablePointer<Float>  // [R, d] residual stream: input and output
        let normed: UnsafeMutablePointer<Float>  // [R, d]
        let qkv: UnsafeMutablePointer<Float>  // [R, attn_dim + 2·kv_dim]
        let attended: UnsafeMutablePointer<Float>  // [R, attn_dim]
        let hidden: UnsafeMutablePointer<Float>  // [R, ffn]
        let scores: UnsafeMutablePointer<Float>  // [scoreCount] attention probabilities of one stream
        let pool: WorkerPool?

        /// Floats of one row: x, normed, qkv, attended, hidden.
        static func rowFloats(_ t: FlowTransformer) -> Int {
            2 * t.modelDim + t.qkvWidth + t.attentionDim + t.feedForwardDim
        }

        static func floatCount(rows: Int, scoreCount: Int, transformer t: FlowTransformer) -> Int {
            rows * rowFloats(t) + scoreCount
        }

        init(base: UnsafeMutablePointer<Float>, rows: Int, transformer t: FlowTransformer, pool: WorkerPool?) {
            self.pool = pool
            x = base
            normed = x + rows * t.modelDim
            qkv = normed + rows * t.modelDim
            attended = qkv + rows * t.qkvWidth
            hidden = attended + rows * t.attentionDim
            scores = hidden + rows * t.feedForwardDim
        }
    }

    /// Runs every layer on `buffers.x` in place. Stream b owns rows b·T..<(b+1)·T
    /// (T = `rowsPerStream`), at absolute positions cache.length..<cache.length+T of
    /// `streams[b]`, whose caches must have room for them (`KVCache.ensureRoom`). Appends the
    /// new keys/values and advances each cache's length by T. `buffers.scores` must hold
    /// `scoreCount(rows: T, keys: length + T)` floats for the longest stream. Prompts (16 rows
    /// and more) share linear outputs, GELU rows and attention heads with `buffers.pool`: the
    /// same values whoever runs them. Allocation-free.
    /// pocket_tts `StreamingTransformer.forward` + `increment_steps`.
    func forward(streams: UnsafeMutableBufferPointer<FlowLM.State>, rowsPerStream T: Int, buffers: Buffers) {
        let (w, a) = (qkvWidth, attentionDim)
        let rows = streams.count * T
        let (x, normed, qkv, attended, hidden) = (buffers.x, buffers.normed, buffers.qkv, buffers.attended, buffers.hidden)
        let pool = buffers.pool
        for (index, layer) in layers.enumerated() {
            // _sa_block: x + out_proj(attention(in_proj(norm1(x))))
            layer.norm1.forward(x, rows: rows, into: normed)
            layer.inProjection.forward(normed, rows: rows, into: qkv, pool: pool)
            for b in 0..<streams.count {
                attend(layer: index, qkv: qkv + b * T * w, count: T,
                       cache: &streams[b].cache, into: attended + b * T * a, scores: buffers.scores, pool: pool)
            }
            layer.outProjection.forward(attended, rows: rows, into: x, accumulate: true, pool: pool)
            // _ff_block: x + linear2(gelu(linear1(norm2(x))))
            layer.norm2.forward(x, rows: rows, into: normed)
            layer.linear1.forward(normed, rows: rows, into: hidden, pool: pool)
            gelu(hidden, rows: rows, pool: pool)
            layer.linear2.forward(hidden, rows: rows, into: x, accumulate: true, pool: pool)
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

    /// GELU in place on [rows, feedForwardDim]; prompts share the rows out with `pool`
    /// (elementwise: the same values).
    private func gelu(_ hidden: UnsafeMutablePointer<Float>, rows: Int, pool: WorkerPool?) {
        let f = feedForwardDim
        guard Linear.splitsOutputs(rows: rows) else {
            Activation.gelu(hidden, count: rows * f, approximation: geluApproximation)
            return
        }
        let pieces = 8
        pool.parallelFor(pieces) { i in
            let (start, end) = (rows * i / pieces, rows * (i + 1) / pieces)
            Activation.gelu(hidden + start * f, count: (end - start) * f, approximation: geluApproximation)
        }
    }

    /// `StreamingMultiheadAttention.forward` after in_proj for one stream: RoPE on q and k at
    /// the stream's positions, k and v appended to the cache (`complete_kv`), causal attention
    /// over the whole history. qkv: [T, q (H, hd) | k (Hkv, hd) | v (Hkv, hd)] rows; output: [T, attn_dim].
    private func attend(
        layer: Int, qkv: UnsafeMutablePointer<Float>, count T: Int, cache: inout FlowLM.KVCache,
        into output: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>, pool: WorkerPool?
    ) {
        let (w, a, kv) = (qkvWidth, attentionDim, keyValueDim)
        let start = cache.length
        precondition(start + T <= cache.capacity, "FlowTransformer: KV cache has no room (call ensureRoom)")
        rope.apply(qkv, count: T, heads: attention.heads, offset: start, rowStride: w)
        rope.apply(qkv + a, count: T, heads: attention.keyValueHeads, offset: start, rowStride: w)
        cache.withLayer(layer) { rows in
            switch rows {
            case .float32(let keys, let values):
                for t in 0..<T {
                    (keys + (start + t) * kv).update(from: qkv + t * w + a, count: kv)
                    (values + (start + t) * kv).update(from: qkv + t * w + a + kv, count: kv)
                }
            case .bfloat16(let keys, let values):  // rounded to nearest even as written
                for t in 0..<T {
                    SkinnyLinear.round(qkv + t * w + a, toBFloat16: keys + (start + t) * kv, count: kv)
                    SkinnyLinear.round(qkv + t * w + a + kv, toBFloat16: values + (start + t) * kv, count: kv)
                }
            }
            // Prompts: the heads in pieces shared with the pool, each piece its own score row.
            let H = attention.heads
            let pieces = Linear.splitsOutputs(rows: T) ? FlowTransformer.attentionPieces : 1
            pool.parallelFor(pieces) { i in
                let heads = H * i / pieces..<H * (i + 1) / pieces
                // Query by query, each over its own visible keys: the arithmetic of a single
                // step at that position, so a prompt gives the same values however it is sliced.
                let scratch = scores + i * scoresPerPiece(keys: start + T)
                for t in 0..<T {
                    switch rows {
                    case .float32(let keys, let values) where usesOneQueryAttention:
                        attention.forwardOneQuery(query: qkv + t * w, keys: keys, values: values, keyCount: start + t + 1,
                                                  into: output + t * a, scratch: scratch, heads: heads)
                    case .float32(let keys, let values):
                        attention.forward(queries: qkv + t * w, queryCount: 1, queryStart: start + t,
                                          keys: keys, values: values, keyCount: start + t + 1, keyStart: 0,
                                          into: output + t * a, scratch: scratch, queryRowStride: w, heads: heads)
                    case .bfloat16(let keys, let values):
                        attention.forwardOneQuery(query: qkv + t * w, keys: keys, values: values, keyCount: start + t + 1,
                                                  into: output + t * a, scratch: scratch, heads: heads)
                    }
                }
            }
        }
    }
}
