// MimiTransformer+Batch: several streams' rows through the transformer in one pass, each
// stream's ring-buffer KV cache and position its own.
import Kernels

extension MimiTransformer {
    /// Scratch of `forwardBatch`, shared by the streams of a batch (one per decoding thread).
    public struct BatchScratch: Sendable {
        var stream: [Float] = []  // [B·T, d] the residual stream
        var normed: [Float] = []  // [B·T, d]
        var qkv: [Float] = []  // [B·T, 3d]
        var attended: [Float] = []  // [B·T, d]
        var hidden: [Float] = []  // [B·T, ffn]
        var packed: [UInt32] = []  // packed xᵀ (`MimiTransformerLayer.ReducedWeights.packed`)
        public init() {}
    }

    /// y[B·T, out] from x[B·T, in]: the T rows of stream s at rows s·T..<(s+1)·T, one ring
    /// update per stream (chunk length T, at most each ring's capacity), B = `states.count`.
    /// The rows of all streams share one pass over each weight matrix; norms, RoPE and attention
    /// run per stream on its own cache. With reduced-precision weights (`MimiTransformerLayer.reduced`:
    /// the decoder under `Precision.bf16` / `.int8`) every row is computed exactly as by
    /// `forward(_:rows: T, …)` on its stream alone, bit for bit; on the exact path equal up to the
    /// summation order of the matrix products (`SkinnyLinear`, the CKernels kernel, on the
    /// calling thread only).
    public func forwardBatch(
        _ x: UnsafePointer<Float>, rowsPerStream T: Int, into y: UnsafeMutablePointer<Float>,
        states: UnsafeMutableBufferPointer<State>, scratch: inout BatchScratch
    ) {
        let (B, d) = (states.count, dModel)
        precondition(T > 0 && B > 0, "MimiTransformer: empty batch")
        precondition(states.allSatisfy { T <= $0.capacity }, "MimiTransformer: chunk of \(T) rows for a smaller ring")
        let R = B * T
        var ffn = 0
        for layer in layers { ffn = max(ffn, layer.feedForwardDimension) }
        scratch.stream.reserveScratch(R * d)
        scratch.normed.reserveScratch(R * d)
        scratch.qkv.reserveScratch(R * 3 * d)
        scratch.attended.reserveScratch(R * d)
        scratch.hidden.reserveScratch(R * ffn)
        scratch.packed.reserveScratch(packedScratchWords(rows: R))
        for s in 0..<B { states[s].scores.reserveScratch(ringScratchCount(rows: T, capacity: states[s].capacity)) }
        withPointers(&scratch.stream, &scratch.normed, &scratch.qkv) { stream, normed, qkv in
            withPointers(&scratch.attended, &scratch.hidden) { attended, hidden in
                scratch.packed.withUnsafeMutableBufferPointer { packedBuffer in
                    let packed = packedBuffer.baseAddress!
                    /// y = x·Wᵀ: the reduced precisions' weights when the layer has them, else `project`.
                    func linear(_ linear: Linear, _ reduced: MimiTransformerLayer.ReducedWeights?, _ x: UnsafePointer<Float>,
                                into y: UnsafeMutablePointer<Float>) {
                        guard let reduced else { return Self.project(linear, x, rows: R, into: y) }
                        reduced.multiply(x, rows: R, into: y, packed: packed)
                    }
                    if let inputProjection {
                        Self.project(inputProjection, x, rows: R, into: stream)
                    } else {
                        stream.update(from: x, count: R * d)
                    }
                    for l in layers.indices {
                        let layer = layers[l]
                        layer.norm1.forward(stream, rows: R, into: normed)
                        linear(layer.inProjection, layer.reduced?.inProjection, normed, into: qkv)
                        for s in 0..<B {
                            attend(layer: l, qkv: qkv + s * T * 3 * d, rows: T, into: attended + s * T * d, state: &states[s])
                        }
                        linear(layer.outProjection, layer.reduced?.outProjection, attended, into: normed)
                        addScaled(layer.layerScale1, normed, into: stream, rows: R)
                        layer.norm2.forward(stream, rows: R, into: normed)
                        linear(layer.linear1, layer.reduced?.linear1, normed, into: hidden)
                        gelu(hidden, count: R * layer.feedForwardDimension)
                        linear(layer.linear2, layer.reduced?.linear2, hidden, into: normed)
                        addScaled(layer.layerScale2, normed, into: stream, rows: R)
                    }
                    if let outputProjection {
                        Self.project(outputProjection, stream, rows: R, into: y)
                    } else {
                        y.update(from: stream, count: R * d)
                    }
                }
            }
        }
        for s in 0..<B { states[s].position += T }
    }

    /// RoPE at the stream's position, then one ring update and attention on its own cache.
    private func attend(layer l: Int, qkv: UnsafeMutablePointer<Float>, rows T: Int, into out: UnsafeMutablePointer<Float>,
                        state: inout State) {
        let (d, start) = (dModel, state.position)
        rope.apply(qkv, count: T, heads: attention.heads, offset: start, rowStride: 3 * d)
        rope.apply(qkv + d, count: T, heads: attention.heads, offset: start, rowStride: 3 * d)
        withRing(&state.keys, &state.values, &state.keyBits, &state.valueBits, &state.slotPositions,
                 capacity: state.capacity) { ring in
            state.scores.withUnsafeMutableBufferPointer { scores in
                attendRing(layer: l, qkv: qkv, rows: T, start: start, into: out, ring: ring, scores: scores.baseAddress!)
            }
        }
    }

    /// y[R, out] = x[R, in]·Wᵀ on the calling thread: the CKernels kernel over all R rows
    /// (f32 weights, AVX-512), else `Linear.forward`.
    static func project(_ linear: Linear, _ x: UnsafePointer<Float>, rows R: Int, into y: UnsafeMutablePointer<Float>) {
        guard SkinnyLinear.hasAVX512, case .float32(let w) = linear.weights else {
            linear.forward(x, rows: R, into: y)
            return
        }
        w.withUnsafeBufferPointer { w in
            linear.bias.withUnsafeBufferPointerIfPresent { bias in
                _ = SkinnyLinear.forward(x, rows: R, inFeatures: linear.inFeatures, weight: w.baseAddress!,
                                     outFeatures: linear.outFeatures, bias: bias, into: y)
            }
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// The array's base pointer, or nil when there is no array.
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let array = self else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
