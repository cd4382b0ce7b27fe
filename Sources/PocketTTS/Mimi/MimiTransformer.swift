// MimiTransformer: pocket_tts/modules/transformer.py `ProjectedTransformer` with its
// `StreamingTransformer` of `StreamingTransformerLayer`s (with `context`), LayerScale
// (layer_scale.py), RoPE (rope.py) and attention.py's `StreamingMultiheadAttention`.
// 4.0.1 streams with a linear KV cache and the mask 0 <= pos_q − pos_k < context; a ring of
// context + chunk − 1 slots holds every key that mask lets through for a chunk's queries, so it
// gives the same values. 1.1.1's mimi_transformer.py used a ring of `context` slots, where a
// chunk's new keys overwrite old ones its first queries could still see.
import Kernels

/// `ProjectedTransformer` (optional input/output projections around the layers).
/// - `callAsFunction(_:)`: the whole sequence at once, positions from 0, each query seeing
///   keys q with 0 <= p − q < context (the reference with `model_state=None`: the encoder).
/// - `step`: streaming with a ring-buffer KV cache of `capacity` slots per layer (the decoder:
///   `MimiDecoder.ringCapacity`). Rows are processed in chunks of `chunkLength`: each chunk's
///   keys are written into the ring before its queries attend, as one reference call, so with
///   capacity < context + chunkLength − 1 (1.1.1's ring) early queries of a chunk lose keys the
///   chunk itself overwrote. Positions advance by T.
public struct MimiTransformer: StreamingModule {
    public let inputProjection: Linear?  // input_proj.weight [d, in], only when d != in
    public let layers: [MimiTransformerLayer]  // transformer.layers.<i>.
    public let outputProjection: Linear?  // output_projs.0.weight [out, d], only when d != out
    public let context: Int
    public let attention: Attention  // heads, headDim, window = context
    public let rope: RoPE
    /// The feed-forward's GELU (`F.gelu(approximate="tanh")` in 4.0.1; the erf form in 1.1.1).
    public let geluApproximation: GELUApproximation

    public init(
        inputProjection: Linear?, layers: [MimiTransformerLayer], outputProjection: Linear?,
        heads: Int, context: Int, maxPeriod: Double = 10_000, gelu: GELUApproximation
    ) {
        precondition(!layers.isEmpty, "MimiTransformer: no layers")
        let d = layers[0].dModel
        precondition(d % heads == 0, "MimiTransformer: d_model \(d) not divisible by \(heads) heads")
        precondition(layers.allSatisfy { $0.dModel == d }, "MimiTransformer: layers of different widths")
        precondition(layers.allSatisfy { $0.arithmetic == layers[0].arithmetic }, "MimiTransformer: layers of different arithmetic")
        precondition(inputProjection.map { $0.outFeatures == d } ?? true, "MimiTransformer: input_proj shape")
        precondition(outputProjection.map { $0.inFeatures == d } ?? true, "MimiTransformer: output_proj shape")
        self.inputProjection = inputProjection
        self.layers = layers
        self.outputProjection = outputProjection
        self.context = context
        self.attention = Attention(heads: heads, headDim: d / heads, window: context)
        self.rope = RoPE(headDim: d / heads, maxPeriod: maxPeriod)
        self.geluApproximation = gelu
    }

    public var dModel: Int { layers[0].dModel }
    /// The exact path: f32 projections (`MimiTransformerLayer.Arithmetic.exact`), OpenBLAS
    /// attention over an f32 ring, libm's GELU. Otherwise (the decoder under `Precision.bf16` /
    /// `.int8`): reduced-precision projections, `Attention.forwardRing` over a bfloat16 ring,
    /// the vectorized GELU.
    public var isExact: Bool { layers[0].reduced == nil }

    /// Words of packed-activation scratch the layers' projections need for `rows` rows (at least 1).
    func packedScratchWords(rows: Int) -> Int {
        var words = 1
        for layer in layers {
            guard let r = layer.reduced else { continue }
            words = max(words, r.inProjection.packedWords(rows: rows), r.outProjection.packedWords(rows: rows),
                        r.linear1.packedWords(rows: rows), r.linear2.packedWords(rows: rows))
        }
        return words
    }

    public var inputDimension: Int { inputProjection?.inFeatures ?? dModel }
    public var outputDimension: Int { outputProjection?.outFeatures ?? dModel }

    public struct State: Sendable {
        /// Steps consumed so far: RoPE offset of the next row and end of the ring.
        public internal(set) var position = 0
        public let capacity: Int
        var keys: [Float]  // exact: per layer [capacity, d], RoPE applied (else empty)
        var values: [Float]  // exact: per layer [capacity, d]
        var keyBits: [UInt16]  // reduced precisions: per layer `ringLayout`'s keys, bfloat16 (else empty)
        var valueBits: [UInt16]  // reduced precisions: per layer [capacity, d], bfloat16
        var slotPositions: [Int]  // [layers, capacity]: absolute position per slot, −1 = empty
        var stream: [Float] = []  // scratch [T, d]: the residual stream
        var normed: [Float] = []  // scratch [T, d]
        var qkv: [Float] = []  // scratch [T, 3d]
        var attended: [Float] = []  // scratch [T, d]
        var hidden: [Float] = []  // scratch [T, ffn]
        var scores: [Float] = []  // scratch of `ringScratchCount` (exact: [chunk, keys])
        var product: [Float] = []  // scratch [max(3d, ffn), T]: W·xᵀ before transposing
        var inputT: [Float] = []  // scratch [max(d, ffn), T]: xᵀ
        var packed: [UInt32] = []  // scratch: packed xᵀ (`MimiTransformerLayer.ReducedWeights.packed`)
    }

    private enum Mode { case whole, ring(chunkLength: Int) }

    /// Queries per attention call over a whole sequence.
    static let queryBlock = 64

    /// y[T, out] from x[T, in], streaming. `chunkLength` (default T) rows share one ring update;
    /// it must not exceed the capacity. Allocation-free once the scratch has grown.
    public func forward(
        _ x: UnsafePointer<Float>, rows T: Int, into y: UnsafeMutablePointer<Float>,
        state: inout State, chunkLength: Int? = nil
    ) {
        let chunk = chunkLength ?? T
        precondition(chunk > 0 && chunk <= state.capacity,
                     "MimiTransformer: chunk of \(chunk) rows for a ring of \(state.capacity)")
        run(x, rows: T, into: y, state: &state, mode: .ring(chunkLength: chunk))
        state.position += T
    }

    /// [T, in] -> [T, out], streaming (one ring update for all T rows).
    public func step(_ x: Tensor, state: inout State) -> Tensor {
        step(x, state: &state, chunkLength: x.shape.first ?? 1)
    }

    /// [T, in] -> [T, out], streaming, `chunkLength` rows per ring update.
    public func step(_ x: Tensor, state: inout State, chunkLength: Int) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inputDimension, "MimiTransformer: input \(x.shape), expected [T, \(inputDimension)]")
        let T = x.shape[0]
        var y = Tensor.zeros([T, outputDimension])
        if T == 0 { return y }
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                forward(xp.baseAddress!, rows: T, into: yp.baseAddress!, state: &state, chunkLength: chunkLength)
            }
        }
        return y
    }

    /// y[T, out] from x[T, in] as one sequence from position 0 (no cache). `scratch` is any
    /// state (its ring is not touched).
    public func forwardWhole(
        _ x: UnsafePointer<Float>, rows T: Int, into y: UnsafeMutablePointer<Float>, scratch: inout State
    ) {
        run(x, rows: T, into: y, state: &scratch, mode: .whole)
    }

    /// [T, in] -> [T, out] as one sequence from position 0 (the reference without state).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inputDimension, "MimiTransformer: input \(x.shape), expected [T, \(inputDimension)]")
        let T = x.shape[0]
        var y = Tensor.zeros([T, outputDimension])
        if T == 0 { return y }
        var scratch = makeState(capacity: 0)
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                forwardWhole(xp.baseAddress!, rows: T, into: yp.baseAddress!, scratch: &scratch)
            }
        }
        return y
    }

    // MARK: Computation

    /// The state's buffers as pointers, for the duration of one call.
    private struct Buffers {
        let stream, normed, qkv, attended, hidden, scores, product, inputT: UnsafeMutablePointer<Float>
        let packed: UnsafeMutablePointer<UInt32>
        let ring: RingPointers
    }

    private func withBuffers(_ state: inout State, _ body: (Buffers) -> Void) {
        withPointers(&state.stream, &state.normed, &state.qkv) { stream, normed, qkv in
            withPointers(&state.attended, &state.hidden, &state.scores) { attended, hidden, scores in
                withRing(&state.keys, &state.values, &state.keyBits, &state.valueBits, &state.slotPositions,
                         capacity: state.capacity) { ring in
                    withPointers(&state.product, &state.inputT) { product, inputT in
                        state.packed.reserveScratch(1)
                        state.packed.withUnsafeMutableBufferPointer { packed in
                            body(Buffers(stream: stream, normed: normed, qkv: qkv, attended: attended, hidden: hidden,
                                         scores: scores, product: product, inputT: inputT, packed: packed.baseAddress!,
                                         ring: ring))
                        }
                    }
                }
            }
        }
    }

    private func run(
        _ x: UnsafePointer<Float>, rows T: Int, into y: UnsafeMutablePointer<Float>, state: inout State, mode: Mode
    ) {
        if T == 0 { return }
        let d = dModel
        var ffn = 0
        for layer in layers { ffn = max(ffn, layer.feedForwardDimension) }
        state.stream.reserveScratch(T * d)
        state.normed.reserveScratch(T * d)
        state.qkv.reserveScratch(T * 3 * d)
        state.attended.reserveScratch(T * d)
        state.hidden.reserveScratch(T * ffn)
        let few = T <= SkinnyGEMM.maxColumns && isExact
        state.product.reserveScratch(few ? T * max(3 * d, ffn) : 1)
        state.packed.reserveScratch(packedScratchWords(rows: T))
        state.inputT.reserveScratch(few ? T * max(d, ffn) : 1)
        switch mode {
        case .whole: state.scores.reserveScratch(Self.queryBlock * (Self.queryBlock + context))
        case .ring(let chunk): state.scores.reserveScratch(ringScratchCount(rows: min(chunk, T), capacity: state.capacity))
        }
        let start = state.position
        withBuffers(&state) { b in
            if let inputProjection {
                inputProjection.forward(x, rows: T, into: b.stream)
            } else {
                b.stream.update(from: x, count: T * d)
            }
            for l in layers.indices {
                layerForward(l, rows: T, start: start, buffers: b, mode: mode)
            }
            if let outputProjection {
                outputProjection.forward(b.stream, rows: T, into: y)
            } else {
                y.update(from: b.stream, count: T * d)
            }
        }
    }

    /// stream[T, d] += layer l (StreamingTransformerLayer.forward), in place.
    private func layerForward(_ l: Int, rows T: Int, start: Int, buffers b: Buffers, mode: Mode) {
        let layer = layers[l]
        let d = dModel
        let x = b.stream
        // _sa_block
        layer.norm1.forward(x, rows: T, into: b.normed)
        project(layer.inProjection, layer.reduced?.inProjection, b.normed, rows: T, into: b.qkv, buffers: b)
        rope.apply(b.qkv, count: T, heads: attention.heads, offset: start, rowStride: 3 * d)
        rope.apply(b.qkv + d, count: T, heads: attention.heads, offset: start, rowStride: 3 * d)
        switch mode {
        case .whole:
            // Blocks of queries against the keys their window can reach: the band mask makes
            // the rest of the T×T scores −inf anyway.
            var q0 = 0
            while q0 < T {
                let n = min(Self.queryBlock, T - q0)
                let k0 = max(0, q0 - context + 1)
                attention.forward(
                    queries: b.qkv + q0 * 3 * d, queryCount: n, queryStart: q0,
                    keys: b.qkv + k0 * 3 * d + d, values: b.qkv + k0 * 3 * d + 2 * d, keyCount: q0 + n - k0, keyStart: k0,
                    into: b.attended + q0 * d, scratch: b.scores, queryRowStride: 3 * d, keyRowStride: 3 * d)
                q0 += n
            }
        case .ring(let chunk):
            var c0 = 0
            while c0 < T {
                let n = min(chunk, T - c0)
                attendRing(layer: l, qkv: b.qkv + c0 * 3 * d, rows: n, start: start + c0,
                           into: b.attended + c0 * d, buffers: b)
                c0 += n
            }
        }
        project(layer.outProjection, layer.reduced?.outProjection, b.attended, rows: T, into: b.normed, buffers: b)
        addScaled(layer.layerScale1, b.normed, into: x, rows: T)
        // _ff_block
        layer.norm2.forward(x, rows: T, into: b.normed)
        project(layer.linear1, layer.reduced?.linear1, b.normed, rows: T, into: b.hidden, buffers: b)
        gelu(b.hidden, count: T * layer.feedForwardDimension)
        project(layer.linear2, layer.reduced?.linear2, b.hidden, rows: T, into: b.normed, buffers: b)
        addScaled(layer.layerScale2, b.normed, into: x, rows: T)
    }

    /// y[T, out] = x[T, in]·Wᵀ: the reduced precisions' weights when the layer has them; else,
    /// for a few rows (a frame is 16), (W·xᵀ)ᵀ with `SkinnyGEMM` (2.3 → 1.4 ms per layer at 16
    /// rows, weights from DRAM).
    private func project(
        _ linear: Linear, _ reduced: MimiTransformerLayer.ReducedWeights?, _ x: UnsafePointer<Float>, rows T: Int,
        into y: UnsafeMutablePointer<Float>, buffers b: Buffers
    ) {
        if let reduced {
            reduced.multiply(x, rows: T, into: y, packed: b.packed)
            return
        }
        if T == 1 || T > SkinnyGEMM.maxColumns {
            linear.forward(x, rows: T, into: y)
            return
        }
        let (n, k) = (linear.outFeatures, linear.inFeatures)
        transpose(x, rows: T, columns: k, into: b.inputT)
        linear.weight.withUnsafeBufferPointer { w in
            SkinnyGEMM.multiply(m: n, n: T, k: k, a: w.baseAddress!, lda: k, b: b.inputT, ldb: T, c: b.product, ldc: T)
        }
        transpose(b.product, rows: n, columns: T, into: y)
    }

    /// One reference call of `MimiStreamingMultiheadAttention` on `rows` rows at positions
    /// start..<start+rows (`complete`): scatter k, v into ring slots (position % capacity), then
    /// attend over the ring with the mask pos_k >= 0 && 0 <= pos_q − pos_k < context.
    private func attendRing(
        layer l: Int, qkv: UnsafeMutablePointer<Float>, rows n: Int, start: Int,
        into out: UnsafeMutablePointer<Float>, buffers b: Buffers
    ) {
        attendRing(layer: l, qkv: qkv, rows: n, start: start, into: out, ring: b.ring, scores: b.scores)
    }
}
