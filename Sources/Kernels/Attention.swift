// Attention: causal scaled-dot-product attention for one sequence, optionally windowed.

/// Causal multi-head scaled-dot-product attention on the [T, H, D] layout (time-major, heads
/// interleaved), scale 1/√D. A query at absolute position p attends to keys at positions q
/// with q <= p and, when `window` is set, p − q < window (i.e. q in (p − window, p]), as in
/// pocket_tts `MimiStreamingMultiheadAttention` (`0 <= delta < context`). Without a window
/// this is `StreamingMultiheadAttention`'s causal mask (keys 0..<Tk, queries at the end).
/// A query with no visible key yields zeros (torch would yield NaN).
///
/// Grouped-query attention (pocket_tts 4.0.1 `num_kv_heads`): keys and values have
/// `keyValueHeads` heads ([Tk, Hkv, D]), each shared by `heads / keyValueHeads` consecutive
/// query heads (query head h reads key/value head h / group: torch `repeat_interleave`).
public struct Attention: Sendable {
    public let heads: Int
    public let headDim: Int
    public let window: Int?
    /// Heads of the keys and values (== `heads` without grouping).
    public let keyValueHeads: Int

    public init(heads: Int, headDim: Int, window: Int? = nil, keyValueHeads: Int? = nil) {
        precondition(heads > 0 && headDim > 0, "Attention: heads and headDim must be positive")
        precondition(window.map { $0 > 0 } ?? true, "Attention: window must be positive")
        let kv = keyValueHeads ?? heads
        precondition(kv > 0 && heads % kv == 0, "Attention: \(kv) key/value heads do not divide \(heads) heads")
        self.heads = heads
        self.headDim = headDim
        self.window = window
        self.keyValueHeads = kv
    }

    /// Query heads per key/value head.
    public var groupSize: Int { heads / keyValueHeads }

    /// The key/value head query head `head` reads.
    @inline(__always)
    public func keyValueHead(of head: Int) -> Int { head / groupSize }

    /// Floats of scratch `forward` needs: one [queryCount, keyCount] score matrix.
    public static func scratchCount(queryCount: Int, keyCount: Int) -> Int { queryCount * keyCount }

    /// Keys/values at contiguous absolute positions keyStart..<keyStart+keyCount.
    /// - queries: [queryCount, H, D] (row stride `queryRowStride`, default H·D),
    ///   at positions queryStart..<queryStart+queryCount.
    /// - keys, values: [keyCount, Hkv, D] (row stride `keyRowStride`, default Hkv·D).
    /// - output: [queryCount, H, D] contiguous. scratch: `scratchCount(...)` floats.
    /// - heads: the heads to compute (default all); the others' output is not written, so
    ///   disjoint ranges may run on different threads (each with its own scratch).
    public func forward(
        queries: UnsafePointer<Float>, queryCount: Int, queryStart: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyCount: Int, keyStart: Int,
        into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        queryRowStride: Int? = nil, keyRowStride: Int? = nil, heads: Range<Int>? = nil
    ) {
        run(queries: queries, queryCount: queryCount, queryStart: queryStart,
            keys: keys, values: values, keyCount: keyCount,
            output: output, scratch: scratch, queryRowStride: queryRowStride, keyRowStride: keyRowStride,
            heads: heads ?? 0..<self.heads
        ) { row, p in
            // Visible slots j: keyStart + j in (p − window, p].
            let hi = min(keyCount, p - keyStart + 1)
            let lo = window.map { max(0, p - $0 + 1 - keyStart) } ?? 0
            if hi < keyCount { (row + max(hi, 0)).update(repeating: -.infinity, count: keyCount - max(hi, 0)) }
            if lo > 0 { row.update(repeating: -.infinity, count: min(lo, keyCount)) }
        }
    }

    /// Keys/values in arbitrary slots (e.g. a ring-buffer KV cache): `keyPositions[j]` is the
    /// absolute position of slot j, or negative when the slot is empty.
    /// Shapes and strides as in the contiguous form.
    public func forward(
        queries: UnsafePointer<Float>, queryCount: Int, queryStart: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyPositions: UnsafePointer<Int>, keyCount: Int,
        into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        queryRowStride: Int? = nil, keyRowStride: Int? = nil
    ) {
        run(queries: queries, queryCount: queryCount, queryStart: queryStart,
            keys: keys, values: values, keyCount: keyCount,
            output: output, scratch: scratch, queryRowStride: queryRowStride, keyRowStride: keyRowStride,
            heads: 0..<heads
        ) { row, p in
            for j in 0..<keyCount {
                let delta = p - keyPositions[j]
                let visible = keyPositions[j] >= 0 && delta >= 0 && (window.map { delta < $0 } ?? true)
                if !visible { row[j] = -.infinity }
            }
        }
    }

    /// Scores per head with one sgemm (sgemv for one query), mask, softmax, then P·V.
    private func run(
        queries: UnsafePointer<Float>, queryCount Tq: Int, queryStart: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyCount Tk: Int,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        queryRowStride: Int?, keyRowStride: Int?, heads range: Range<Int>,
        mask: (UnsafeMutablePointer<Float>, Int) -> Void
    ) {
        let (H, D) = (heads, headDim)
        precondition(range.lowerBound >= 0 && range.upperBound <= H, "Attention: heads \(range) of \(H)")
        let qs = queryRowStride ?? H * D
        let ks = keyRowStride ?? keyValueHeads * D
        precondition(qs >= H * D && ks >= keyValueHeads * D, "Attention: row stride smaller than heads·headDim")
        if Tq == 0 { return }
        if Tk == 0 {
            for t in 0..<Tq { (output + t * H * D + range.lowerBound * D).update(repeating: 0, count: range.count * D) }
            return
        }
        let scale = 1 / Float(D).squareRoot()
        for h in range {
            let qh = queries + h * D
            let kh = keys + keyValueHead(of: h) * D
            let vh = values + keyValueHead(of: h) * D
            let oh = output + h * D
            // scores[Tq, Tk] = scale · Q_h · K_hᵀ
            if Tq == 1 {
                BLAS.sgemv(m: Tk, n: D, alpha: scale, a: kh, lda: ks, x: qh, y: scratch)
            } else {
                BLAS.sgemm(transposeB: true, m: Tq, n: Tk, k: D, alpha: scale,
                           a: qh, lda: qs, b: kh, ldb: ks, c: scratch, ldc: Tk)
            }
            for t in 0..<Tq { mask(scratch + t * Tk, queryStart + t) }
            Activation.softmax(scratch, rows: Tq, columns: Tk)
            // out_h[Tq, D] = P[Tq, Tk] · V_h[Tk, D]
            if Tq == 1 {
                BLAS.sgemv(transpose: true, m: Tk, n: D, a: vh, lda: ks, x: scratch, y: oh)
            } else {
                BLAS.sgemm(m: Tq, n: D, k: Tk, a: scratch, lda: Tk, b: vh, ldb: ks, c: oh, ldc: H * D)
            }
        }
    }

    /// Contiguous-key convenience: q [Tq, H, D] at queryStart..., k, v [Tk, Hkv, D] at keyStart...
    public func callAsFunction(
        queries: Tensor, keys: Tensor, values: Tensor, queryStart: Int, keyStart: Int = 0
    ) -> Tensor {
        precondition(queries.rank == 3 && queries.shape[1] == heads && queries.shape[2] == headDim,
                     "Attention: queries \(queries.shape), expected [Tq, \(heads), \(headDim)]")
        precondition(keys.shape == values.shape && keys.rank == 3 && Array(keys.shape[1...]) == [keyValueHeads, headDim],
                     "Attention: keys \(keys.shape) / values \(values.shape)")
        let (Tq, Tk) = (queries.shape[0], keys.shape[0])
        var out = Tensor.zeros(queries.shape)
        if Tq == 0 || Tk == 0 { return out }
        var scratch = [Float](repeating: 0, count: max(1, Attention.scratchCount(queryCount: Tq, keyCount: Tk)))
        queries.data.withUnsafeBufferPointer { q in
            keys.data.withUnsafeBufferPointer { k in
                values.data.withUnsafeBufferPointer { v in
                    out.data.withUnsafeMutableBufferPointer { o in
                        scratch.withUnsafeMutableBufferPointer { s in
                            forward(queries: q.baseAddress!, queryCount: Tq, queryStart: queryStart,
                                    keys: k.baseAddress!, values: v.baseAddress!, keyCount: Tk, keyStart: keyStart,
                                    into: o.baseAddress!, scratch: s.baseAddress!)
                        }
                    }
                }
            }
        }
        return out
    }
}
