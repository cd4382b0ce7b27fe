// Attention of one query over a whole contiguous cache: the FlowLM step's attention in the
// reduced precisions (CKernels attention_one.c).

extension Attention {
    /// Floats of scratch `forwardOneQuery` needs for `keyCount` keys and `headCount` heads.
    public static func oneQueryScratchCount(keyCount: Int, headCount: Int) -> Int { keyCount * headCount }

    /// One query at position keyCount − 1 against keys/values 0 ..< keyCount (every key visible;
    /// no window): the values of `forward(queries:queryCount: 1, queryStart: keyCount − 1, …,
    /// keyStart: 0)` up to float rounding, with the cache read row by row for all heads at once
    /// (AVX-512) rather than once per head. The sums run in another order than the BLAS form, so
    /// the two differ in the last bits: `Precision.exact` keeps the BLAS form.
    /// - query: [H, D]; keys, values: [keyCount, H, D] rows `keyRowStride` apart (default H·D).
    /// - output: [H, D]; only `heads` (default all) are written, so disjoint ranges may run on
    ///   different threads, each with its own scratch, and give the values of one call.
    /// - scratch: `oneQueryScratchCount(keyCount:headCount: heads.count)` floats.
    public func forwardOneQuery(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyCount: Int,
        into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, keyRowStride: Int? = nil,
        heads: Range<Int>? = nil, path: SkinnyLinear.Path = .automatic
    ) {
        let (range, stride) = oneQueryLayout(heads: heads, keyRowStride: keyRowStride, keyCount: keyCount)
        SkinnyLinear.attendOne(query: query, heads: range, headDim: headDim, keys: keys, values: values,
                               keyCount: keyCount, keyRowStride: stride, scale: 1 / Float(headDim).squareRoot(),
                               scratch: scratch, into: output, path: path)
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
        SkinnyLinear.attendOne(query: query, heads: range, headDim: headDim, keys: keys, values: values,
                               keyCount: keyCount, keyRowStride: stride, scale: 1 / Float(headDim).squareRoot(),
                               scratch: scratch, into: output, path: path)
    }

    /// The heads to write (default all) and the key row stride (default H·D) of a
    /// `forwardOneQuery` call, checked.
    private func oneQueryLayout(heads: Range<Int>?, keyRowStride: Int?, keyCount: Int) -> (Range<Int>, Int) {
        precondition(window == nil, "Attention.forwardOneQuery: no window")
        let range = heads ?? 0..<self.heads
        precondition(range.lowerBound >= 0 && range.upperBound <= self.heads, "Attention: heads \(range) of \(self.heads)")
        let stride = keyRowStride ?? self.heads * headDim
        precondition(stride >= self.heads * headDim && keyCount >= 0, "Attention.forwardOneQuery: strides")
        return (range, stride)
    }
}
