// Attention: causal scaled-dot-product attention for one sequence, optionally windowed.

/// Causal multi-head scaled-dot-product attention on the [T, H, D] layout (time-major, heads
/// interleaved), scale 1/√D. A query at absolute position p attends to keys at positions q
/// with q <= p and, when `window` is set, p − q < window (i.e. q in (p − window, p]), as in
/// pocket_tts `MimiStreamingMultiheadAttention` (`0 <= delta < context`). Without a window
/// this is `StreamingMultiheadAttention`'s causal mask (keys 0..<Tk, queries at the end).
/// A query with no visible key yields zeros (torch would yield NaN).
public struct Attention: Sendable {
    public let heads: Int
    public let headDim: Int
    public let window: Int?

    public init(heads: Int, headDim: Int, window: Int? = nil) {
        precondition(heads > 0 && headDim > 0, "Attention: heads and headDim must be positive")
        precondition(window.map { $0 > 0 } ?? true, "Attention: window must be positive")
        self.heads = heads
        self.headDim = headDim
        self.window = window
    }

    /// Floats of scratch `forward` needs: one [queryCount, keyCount] score matrix.
    public static func scratchCount(queryCount: Int, keyCount: Int) -> Int { queryCount * keyCount }

    /// Keys/values at contiguous absolute positions keyStart..<keyStart+keyCount.
    /// - queries: [queryCount, H, D] (row stride `queryRowStride`, default H·D),
    ///   at positions queryStart..<queryStart+queryCount.
    /// - keys, values: [keyCount, H, D] (row stride `keyRowStride`, default H·D).
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
        let ks = keyRowStride ?? H * D
        precondition(qs >= H * D && ks >= H * D, "Attention: row stride smaller than heads·headDim")
        if Tq == 0 { return }
        if Tk == 0 {
            for t in 0..<Tq { (output + t * H * D + range.lowerBound * D).update(repeating: 0, count: range.count * D) }
            return
        }
        let scale = 1 / Float(D).squareRoot()
        for h in range {
            let qh = queries + h * D
            let kh = keys + h * D
            let vh = values + h * D
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

    /// Contiguous-key convenience: q [Tq, H, D] at queryStart..., k, v [Tk, H, D] at keyStart...
    public func callAsFunction(
        queries: Tensor, keys: Tensor, values: Tensor, queryStart: Int, keyStart: Int = 0
    ) -> Tensor {
        precondition(queries.rank == 3 && queries.shape[1] == heads && queries.shape[2] == headDim,
                     "Attention: queries \(queries.shape), expected [Tq, \(heads), \(headDim)]")
        precondition(keys.shape == values.shape && keys.rank == 3 && Array(keys.shape[1...]) == [heads, headDim],
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
