// MimiTransformer+Ring: the streaming KV ring of each layer and the attention over it, in the
// exact form (f32 slots, OpenBLAS per head, libm) and in the reduced precisions' form (a
// channel-major bfloat16 ring for CKernels mimi_attention.c, vectorized e^x and erf).
import Kernels

extension MimiTransformer {
    /// A fresh stream with a ring of `capacity` slots per layer (the reference: context): f32
    /// slots on the exact path, bfloat16 ones (half the bytes) in the reduced precisions.
    public func makeState(capacity: Int) -> State {
        precondition(capacity >= 0, "MimiTransformer: negative capacity")
        let L = layers.count
        let ring = ringLayout(capacity: capacity)
        let (floats, bits) = isExact ? (capacity * dModel, 0) : (0, ring.keyCount)
        return State(capacity: capacity, keys: [Float](repeating: 0, count: max(1, L * floats)),
                     values: [Float](repeating: 0, count: max(1, L * floats)),
                     keyBits: [UInt16](repeating: 0, count: max(1, L * bits)),
                     valueBits: [UInt16](repeating: 0, count: max(1, isExact ? 1 : L * ring.valueCount)),
                     slotPositions: [Int](repeating: -1, count: max(1, L * capacity)))
    }

    /// Bytes of a stream's KV ring (keys, values, slot positions) with `capacity` slots per layer.
    public func ringBytes(capacity: Int) -> Int {
        let L = layers.count
        let ring = ringLayout(capacity: capacity)
        let kv = isExact ? 2 * capacity * dModel * MemoryLayout<Float>.stride
            : (ring.keyCount + ring.valueCount) * MemoryLayout<UInt16>.stride
        return L * (kv + capacity * MemoryLayout<Int>.stride)
    }

    /// The layout of one layer's ring in the reduced precisions (`Attention.forwardRing`).
    func ringLayout(capacity: Int) -> Attention.RingLayout { Attention.RingLayout(slots: capacity, width: dModel) }

    /// Floats of scores scratch one ring update of `rows` rows needs.
    func ringScratchCount(rows: Int, capacity: Int) -> Int {
        max(1, isExact ? rows * capacity : attention.ringScratchCount(queryCount: rows, ring: ringLayout(capacity: capacity)))
    }

    /// A state's ring buffers as pointers for one call (`withRing`).
    struct RingPointers {
        let keys, values: UnsafeMutablePointer<Float>  // exact: [layers, capacity, d]
        let keyBits, valueBits: UnsafeMutablePointer<UInt16>  // reduced precisions: [layers] of `ringLayout`
        let positions: UnsafeMutablePointer<Int>  // [layers, capacity]
        let capacity: Int
    }

    /// One reference call of `MimiStreamingMultiheadAttention` on `rows` rows at positions
    /// start..<start+rows (`complete`): scatter k, v into ring slots (position % capacity), then
    /// attend over the ring with the mask pos_k >= 0 && 0 <= pos_q − pos_k < context. `scores`:
    /// scratch of `ringScratchCount` floats.
    func attendRing(
        layer l: Int, qkv: UnsafeMutablePointer<Float>, rows n: Int, start: Int, into out: UnsafeMutablePointer<Float>,
        ring r: RingPointers, scores: UnsafeMutablePointer<Float>
    ) {
        let (d, cap) = (dModel, r.capacity)
        let positions = r.positions + l * cap
        if !isExact {
            let ring = ringLayout(capacity: cap)
            let (keys, values) = (r.keyBits + l * ring.keyCount, r.valueBits + l * ring.valueCount)
            for t in 0..<n {
                let slot = (start + t) % cap
                ring.store(key: qkv + t * 3 * d + d, value: qkv + t * 3 * d + 2 * d, slot: slot, keys: keys, values: values)
                positions[slot] = start + t
            }
            attention.forwardRing(queries: qkv, queryCount: n, queryStart: start, ring: ring, keys: keys, values: values,
                                  keyPositions: positions, into: out, scratch: scores, queryRowStride: 3 * d)
            return
        }
        let keys = r.keys + l * cap * d
        let values = r.values + l * cap * d
        for t in 0..<n {
            let slot = (start + t) % cap
            (keys + slot * d).update(from: qkv + t * 3 * d + d, count: d)
            (values + slot * d).update(from: qkv + t * 3 * d + 2 * d, count: d)
            positions[slot] = start + t
        }
        attention.forward(
            queries: qkv, queryCount: n, queryStart: start, keys: keys, values: values,
            keyPositions: positions, keyCount: cap, into: out, scratch: scores,
            queryRowStride: 3 * d)
    }

    /// GELU of `geluApproximation` in place: libm's erf / tanh on the exact path, the vectorized
    /// forms in the reduced precisions.
    func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch (isExact, geluApproximation) {
        case (true, _): Activation.gelu(x, count: count, approximation: geluApproximation)
        case (false, .none): Activation.geluVectorized(x, count: count)
        case (false, .tanh): Activation.geluTanhVectorized(x, count: count)
        }
    }

    /// x[T, d] += scale ⊙ update[T, d] (LayerScale then residual add); update is overwritten.
    func addScaled(
        _ scale: [Float], _ update: UnsafeMutablePointer<Float>, into x: UnsafeMutablePointer<Float>, rows T: Int
    ) {
        let d = dModel
        scale.withUnsafeBufferPointer { s in
            for t in 0..<T {
                VectorMath.multiply(s.baseAddress!, into: update + t * d, count: d)
                VectorMath.add(update + t * d, into: x + t * d, count: d)
            }
        }
    }
}

/// Calls `body` with the pointers of a state's ring arrays (distinct stored properties, so the
/// caller may hold others of the same state).
func withRing<R>(
    _ keys: inout [Float], _ values: inout [Float], _ keyBits: inout [UInt16], _ valueBits: inout [UInt16],
    _ positions: inout [Int], capacity: Int, _ body: (MimiTransformer.RingPointers) -> R
) -> R {
    withPointers(&keys, &values) { k, v in
        keyBits.withUnsafeMutableBufferPointer { kb in
            valueBits.withUnsafeMutableBufferPointer { vb in
                positions.withUnsafeMutableBufferPointer { p in
                    body(MimiTransformer.RingPointers(keys: k, values: v, keyBits: kb.baseAddress!, valueBits: vb.baseAddress!,
                                                      positions: p.baseAddress!, capacity: capacity))
                }
            }
        }
    }
}
