// MimiTransformer+Ring: the streaming KV ring of each layer and the attention over it, in the
// exact form (f32 slots, OpenBLAS per head, libm) and in the reduced precisions' form (a
// channel-major ring for CKernels mimi_attention.c, vectorized e^x and erf).
import Kernels

extension MimiTransformer {
    /// A fresh stream with a ring of `capacity` slots per layer (the reference: context).
    public func makeState(capacity: Int) -> State {
        precondition(capacity >= 0, "MimiTransformer: negative capacity")
        let L = layers.count
        let (keyCount, valueCount) = isExact ? (capacity * dModel, capacity * dModel)
            : (ringLayout(capacity: capacity).keyCount, ringLayout(capacity: capacity).valueCount)
        return State(capacity: capacity, keys: [Float](repeating: 0, count: max(1, L * keyCount)),
                     values: [Float](repeating: 0, count: max(1, L * valueCount)),
                     slotPositions: [Int](repeating: -1, count: max(1, L * capacity)))
    }

    /// The layout of one layer's ring in the reduced precisions (`Attention.forwardRing`).
    func ringLayout(capacity: Int) -> Attention.RingLayout { Attention.RingLayout(slots: capacity, width: dModel) }

    /// Floats of scores scratch one ring update of `rows` rows needs.
    func ringScratchCount(rows: Int, capacity: Int) -> Int {
        max(1, isExact ? rows * capacity : attention.ringScratchCount(queryCount: rows, ring: ringLayout(capacity: capacity)))
    }

    /// One reference call of `MimiStreamingMultiheadAttention` on `rows` rows at positions
    /// start..<start+rows (`complete`): scatter k, v into ring slots (position % capacity), then
    /// attend over the ring with the mask pos_k >= 0 && 0 <= pos_q − pos_k < context. The
    /// state's ring buffers as pointers (all layers' keys and values, [layers, capacity]
    /// positions) and a scores scratch of `ringScratchCount`.
    func attendRing(
        layer l: Int, qkv: UnsafeMutablePointer<Float>, rows n: Int, start: Int, into out: UnsafeMutablePointer<Float>,
        keys allKeys: UnsafeMutablePointer<Float>, values allValues: UnsafeMutablePointer<Float>,
        positions allPositions: UnsafeMutablePointer<Int>, capacity cap: Int, scores: UnsafeMutablePointer<Float>
    ) {
        let d = dModel
        let positions = allPositions + l * cap
        if !isExact {
            let ring = ringLayout(capacity: cap)
            let (keys, values) = (allKeys + l * ring.keyCount, allValues + l * ring.valueCount)
            for t in 0..<n {
                let slot = (start + t) % cap
                ring.store(key: qkv + t * 3 * d + d, value: qkv + t * 3 * d + 2 * d, slot: slot, keys: keys, values: values)
                positions[slot] = start + t
            }
            attention.forwardRing(queries: qkv, queryCount: n, queryStart: start, ring: ring, keys: keys, values: values,
                                  keyPositions: positions, into: out, scratch: scores, queryRowStride: 3 * d)
            return
        }
        let keys = allKeys + l * cap * d
        let values = allValues + l * cap * d
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

    /// GELU in place: libm's erf on the exact path, the vectorized erf in the reduced precisions.
    func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        if isExact {
            Activation.gelu(x, count: count)
        } else {
            Activation.geluVectorized(x, count: count)
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
