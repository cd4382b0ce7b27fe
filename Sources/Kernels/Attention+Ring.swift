// Attention of a chunk of queries over a ring-buffer KV cache laid out for vectors (CKernels
// mimi_attention.c): the Mimi decoder's transformer under the reduced precisions.
import CKernels

extension Attention {
    /// A ring of `slots` keys and values of `width` = heads · headDim channels, as
    /// `forwardRing` reads it: keys channel-major (element (slot j, channel c) at
    /// c · keyStride + j, keyStride = slots rounded up to 16), values slot-major (j · width + c).
    /// `Element`: Float, or UInt16 (bfloat16 bits, rounded to nearest even as written).
    public struct RingLayout: Sendable, Equatable {
        public let slots: Int
        public let width: Int

        public init(slots: Int, width: Int) {
            precondition(slots >= 0 && width > 0, "Attention.RingLayout: sizes")
            self.slots = slots
            self.width = width
        }

        /// Elements between two channels of the keys.
        public var keyStride: Int { (slots + 15) / 16 * 16 }
        /// Elements of the keys (padding included) and of the values.
        public var keyCount: Int { width * keyStride }
        public var valueCount: Int { slots * width }

        /// Writes k[width], v[width] into `slot` (f32 ring).
        public func store(
            key k: UnsafePointer<Float>, value v: UnsafePointer<Float>, slot: Int,
            keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>
        ) {
            precondition(slot >= 0 && slot < slots, "Attention.RingLayout: slot \(slot) of \(slots)")
            ck_ring_store(k, v, width, slot, keys, keyStride, values, width)
        }

        /// Writes k[width], v[width] into `slot` of a bfloat16 ring, rounded to nearest even.
        public func store(
            key k: UnsafePointer<Float>, value v: UnsafePointer<Float>, slot: Int,
            keys: UnsafeMutablePointer<UInt16>, values: UnsafeMutablePointer<UInt16>
        ) {
            precondition(slot >= 0 && slot < slots, "Attention.RingLayout: slot \(slot) of \(slots)")
            ck_ring_store_bf16(k, v, width, slot, keys, keyStride, values, width)
        }
    }

    /// Floats of scratch `forwardRing` needs for `queryCount` queries over `ring`.
    public func ringScratchCount(queryCount: Int, ring: RingLayout) -> Int {
        ck_attend_ring_scratch_floats(queryCount, ring.slots, headDim)
    }

    /// The values of `forward(queries:…, keyPositions:…)` (the mask of this attention's window
    /// on the slots' positions, −1: empty) up to float rounding, on a ring laid out as `ring`:
    /// scores of 4 queries × 64 slots per tile, the softmax with a vectorized e^x (within 2
    /// ulp), normalised at the output (AVX-512 when headDim is a multiple of 16; else portable C).
    /// - queries: [queryCount, heads · headDim] rows `queryRowStride` apart (default the width),
    ///   at positions queryStart ..< queryStart + queryCount.
    /// - output: [queryCount, heads · headDim]; scratch: `ringScratchCount` floats.
    @discardableResult
    public func forwardRing(
        queries: UnsafePointer<Float>, queryCount: Int, queryStart: Int, ring: RingLayout,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyPositions: UnsafePointer<Int>,
        into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, queryRowStride: Int? = nil,
        path: SkinnyLinear.Path = .automatic
    ) -> SkinnyLinear.Path {
        let stride = checkedRing(ring, queryRowStride: queryRowStride)
        return SkinnyLinear.Path(ran: ck_attend_ring(
            queries, queryCount, stride, queryStart, keys, values, keyPositions, ring.slots, ring.keyStride, ring.width,
            heads, headDim, window ?? 0, 1 / Float(headDim).squareRoot(), scratch, output, path.cPath))
    }

    /// `forwardRing` over a bfloat16 ring (bits), each element widened exactly as it is read.
    @discardableResult
    public func forwardRing(
        queries: UnsafePointer<Float>, queryCount: Int, queryStart: Int, ring: RingLayout,
        keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>, keyPositions: UnsafePointer<Int>,
        into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, queryRowStride: Int? = nil,
        path: SkinnyLinear.Path = .automatic
    ) -> SkinnyLinear.Path {
        let stride = checkedRing(ring, queryRowStride: queryRowStride)
        return SkinnyLinear.Path(ran: ck_attend_ring_bf16(
            queries, queryCount, stride, queryStart, keys, values, keyPositions, ring.slots, ring.keyStride, ring.width,
            heads, headDim, window ?? 0, 1 / Float(headDim).squareRoot(), scratch, output, path.cPath))
    }

    private func checkedRing(_ ring: RingLayout, queryRowStride: Int?) -> Int {
        precondition(keyValueHeads == heads, "Attention.forwardRing: no grouped-query attention")
        precondition(ring.width == heads * headDim, "Attention.forwardRing: ring of \(ring.width) channels")
        let stride = queryRowStride ?? ring.width
        precondition(stride >= ring.width, "Attention.forwardRing: row stride smaller than heads·headDim")
        return stride
    }
}

extension Activation {
    /// `gelu` with a vectorized erf (AVX-512; within 1.5e-7 of erf, so within about 2e-7 · |x|
    /// of libm's GELU): the reduced precisions. Portable C: libm's erff (the values of `gelu`).
    @discardableResult
    public static func geluVectorized(
        _ x: UnsafeMutablePointer<Float>, count: Int, path: SkinnyLinear.Path = .automatic
    ) -> SkinnyLinear.Path {
        precondition(count >= 0, "Activation.geluVectorized: negative count")
        return SkinnyLinear.Path(ran: ck_gelu_erf(x, count, path.cPath))
    }

    /// `geluTanh` (torch approximate="tanh") as x / (1 + e^(−2u)) with the vectorized e^x
    /// (AVX-512; within a few ulp of the tanh form): the reduced precisions under 4.0.1's GELU.
    /// Portable C: libm's tanhf (the values of `geluTanh`).
    @discardableResult
    public static func geluTanhVectorized(
        _ x: UnsafeMutablePointer<Float>, count: Int, path: SkinnyLinear.Path = .automatic
    ) -> SkinnyLinear.Path {
        precondition(count >= 0, "Activation.geluTanhVectorized: negative count")
        return SkinnyLinear.Path(ran: ck_gelu_tanh(x, count, path.cPath))
    }

    /// destination[i] = e^source[i] with the vectorized e^x of `forwardRing`'s softmax (within 2
    /// ulp; 0 from −104 down). Portable C: libm's expf.
    @discardableResult
    public static func expVectorized(
        _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int,
        path: SkinnyLinear.Path = .automatic
    ) -> SkinnyLinear.Path {
        precondition(count >= 0, "Activation.expVectorized: negative count")
        return SkinnyLinear.Path(ran: ck_exp(source, destination, count, path.cPath))
    }
}

extension SkinnyLinear.Path {
    /// From the CKernels value of the path that ran.
    init(ran path: ck_path) {
        switch path {
        case CK_PATH_AVX512: self = .avx512
        case CK_PATH_AVX2: self = .avx2
        default: self = .scalar
        }
    }
}
