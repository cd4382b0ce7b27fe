// Attention of one query over a whole contiguous cache: the FlowLM step's attention in the
// reduced precisions (CKernels attention_one.c).

extension Attention {
    /// Floats of scratch `forwardOneQuery` needs for `keyCount` keys and `headCount` heads.
    public static func oneQueryScratchCount(keyCount: Int, headCount: Int) -> Int { keyCount * headCount }

    /// One query at position keyCount − 1 against keys/values 0 ..< keyCount (every key visible;
    /// no window): the values of `forward(queries:queryCount: 1, queryStart: keyCount − 1, …,
    /// keyStart: 0)` up to float rounding, with the cache read row by row for all heads at once
    /// (AVX-512) rather than once per head. The sums run in another order than the BLAS form, so
    /// the two differ in the last bits: PocketTTS's `Precision.exact` keeps the BLAS form.
    /// - query: [H, D]; keys, values: [keyCount, Hkv, D] rows `keyRowStride` apart (default Hkv·D).
    ///   With grouped-query attention (`keyValueHeads` < `heads`) the kernel runs once per query
    ///   head against its key/value head (the cache is read once per query head).
    /// - output: [H, D]; only `heads` (default all) are written, so disjoint ranges may run on
    ///   different threads, each with its own scratch, and give the values of one call.
    /// - scratch: `oneQueryScratchCount(keyCount:headCount: heads.count)` floats.
    public func forwardOneQuery(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyCount: Int,
        into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, keyRowStride: Int? = nil,
        heads: Range<Int>? = nil, path: SkinnyLinear.Path = .automatic
    ) {
        let (range, stride) = oneQueryLayout(heads: heads, keyRowStride: keyRowStride, keyCount: keyCount)
        forEachGroup(range, query: query, output: output) { first, count, q, o in
            SkinnyLinear.attendOne(query: q, heads: first..<first + count, headDim: headDim, keys: keys, values: values,
                                   keyCount: keyCount, keyRowStride: stride, scale: 1 / Float(headDim).squareRoot(),
                                   scratch: scratch, into: o, path: path)
        }
    }

    /// `forwardOneQuery` over a bfloat16 cache (keys, values: bfloat16 bits, [keyCount, H, D]
    /// rows `keyRowStride` elements apart), each element widened exactly to f32 as it is read:
    /// the values of the f32 form on the widened cache, bit for bit. The FlowLM cache of the
    /// reduced precisions.
    public func forwardOneQuery(
        query: UnsafePointer<Float>, keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>, keyCount: Int,
        into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, keyRowStride: Int? = nil,
        heads: Range<Int>? = nil, path: SkinnyLinear.Path = .automatic
    ) {
        let (range, stride) = oneQueryLayout(heads: heads, keyRowStride: keyRowStride, keyCount: keyCount)
        forEachGroup(range, query: query, output: output) { first, count, q, o in
            SkinnyLinear.attendOne(query: q, heads: first..<first + count, headDim: headDim, keys: keys, values: values,
                                   keyCount: keyCount, keyRowStride: stride, scale: 1 / Float(headDim).squareRoot(),
                                   scratch: scratch, into: o, path: path)
        }
    }

    /// The heads to write (default all) and the key row stride (default H·D) of a
    /// `forwardOneQuery` call, checked.
    private func oneQueryLayout(heads: Range<Int>?, keyRowStride: Int?, keyCount: Int) -> (Range<Int>, Int) {
        precondition(window == nil, "Attention.forwardOneQuery: no window")
        let range = heads ?? 0..<self.heads
        precondition(range.lowerBound >= 0 && range.upperBound <= self.heads, "Attention: heads \(range) of \(self.heads)")
        let stride = keyRowStride ?? keyValueHeads * headDim
        precondition(stride >= keyValueHeads * headDim && keyCount >= 0, "Attention.forwardOneQuery: strides")
        return (range, stride)
    }

    /// Runs `body(first, count, query, output)` so that the kernel, which reads key/value head
    /// `first + i` for query head `first + i`, serves `range`: in one call without grouping;
    /// with grouping once per query head h, the query and output pointers shifted so that
    /// its kernel head index is h's key/value head (the pointers stay inside the [H, D] rows).
    private func forEachGroup(
        _ range: Range<Int>, query: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        _ body: (Int, Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        if keyValueHeads == heads {
            body(range.lowerBound, range.count, query, output)
            return
        }
        for h in range {
            let kv = keyValueHead(of: h)  // <= h
            body(kv, 1, query + (h - kv) * headDim, output + (h - kv) * headDim)
        }
    }
}
