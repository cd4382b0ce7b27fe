import Testing
@testable import Kernels

/// `Attention.forwardOneQuery` (CKernels attention_one.c) against naive attention, on both paths.
struct AttentionOneQueryTests {
    /// Head sizes: 64 and 16 run the AVX-512 code where the CPU has it, 8 the AVX2 code or the
    /// portable C.
    @Test(arguments: [(heads: 4, headDim: 64, keys: 37), (heads: 3, headDim: 16, keys: 1), (heads: 2, headDim: 8, keys: 20),
                      (heads: 5, headDim: 32, keys: 130)])
    func matchesNaive(shape: (heads: Int, headDim: Int, keys: Int)) {
        let (H, D, Tk) = shape
        let stride = H * D + 5  // rows of a wider cache
        let attention = Attention(heads: H, headDim: D)
        let q = randomArray(H * D, seed: 1, in: -2...2)
        let k = randomArray(Tk * stride, seed: 2, in: -2...2)
        let v = randomArray(Tk * stride, seed: 3)
        // The naive reference reads packed [Tk, H, D] rows.
        let packed = { (x: [Float]) in (0..<Tk).flatMap { j in x[j * stride..<j * stride + H * D] } }
        let expected = AttentionTests.naive(q: q, k: packed(k), v: packed(v), Tq: 1, Tk: Tk, H: H, D: D,
                                            queryStart: Tk - 1, keyPositions: Array(0..<Tk), window: nil)
        for path in [SkinnyLinear.Path.automatic, .scalar] + (SkinnyLinear.hasAVX2 ? [.avx2] : []) {
            var out = [Float](repeating: .nan, count: H * D)
            var scratch = [Float](repeating: 0, count: Attention.oneQueryScratchCount(keyCount: Tk, headCount: H))
            attention.forwardOneQuery(query: q, keys: k, values: v, keyCount: Tk, into: &out, scratch: &scratch,
                                      keyRowStride: stride, path: path)
            #expect(relativeError(out, expected) < 1e-5, "path \(path)")
        }
    }

    /// Heads computed in two calls (two threads' pieces) equal one call, bit for bit.
    @Test func headRangesGiveTheValuesOfOneCall() {
        let (H, D, Tk) = (6, 64, 50)
        let attention = Attention(heads: H, headDim: D)
        let q = randomArray(H * D, seed: 4)
        let k = randomArray(Tk * H * D, seed: 5)
        let v = randomArray(Tk * H * D, seed: 6)
        for path in [SkinnyLinear.Path.automatic, .scalar] + (SkinnyLinear.hasAVX2 ? [.avx2] : []) {
            var whole = [Float](repeating: 0, count: H * D)
            var pieces = [Float](repeating: 0, count: H * D)
            var scratch = [Float](repeating: 0, count: Tk * H)
            attention.forwardOneQuery(query: q, keys: k, values: v, keyCount: Tk, into: &whole, scratch: &scratch, path: path)
            attention.forwardOneQuery(query: q, keys: k, values: v, keyCount: Tk, into: &pieces, scratch: &scratch,
                                      heads: 0..<1, path: path)
            attention.forwardOneQuery(query: q, keys: k, values: v, keyCount: Tk, into: &pieces, scratch: &scratch,
                                      heads: 1..<H, path: path)
            #expect(whole == pieces, "path \(path)")
        }
    }

    /// The bfloat16-cache form (the FlowLM cache of the reduced precisions) against naive attention
    /// over the K/V rounded to bfloat16 (nearest even) and widened, and bit for bit the f32 form
    /// on that widened cache, on both paths.
    @Test(arguments: [(heads: 4, headDim: 64, keys: 37), (heads: 3, headDim: 16, keys: 1), (heads: 2, headDim: 8, keys: 20),
                      (heads: 5, headDim: 32, keys: 130)])
    func bfloat16CacheMatchesNaiveOverRoundedRows(shape: (heads: Int, headDim: Int, keys: Int)) {
        let (H, D, Tk) = shape
        let stride = H * D + 3
        let attention = Attention(heads: H, headDim: D)
        let q = randomArray(H * D, seed: 11, in: -2...2)
        let k = randomArray(Tk * stride, seed: 12, in: -2...2)
        let v = randomArray(Tk * stride, seed: 13)
        let kBits = k.map(Self.bfloat16Bits), vBits = v.map(Self.bfloat16Bits)
        let kWide = kBits.map(Self.widened), vWide = vBits.map(Self.widened)
        #expect(kWide != k, "the rounding changes the keys")
        let packed = { (x: [Float]) in (0..<Tk).flatMap { j in x[j * stride..<j * stride + H * D] } }
        let expected = AttentionTests.naive(q: q, k: packed(kWide), v: packed(vWide), Tq: 1, Tk: Tk, H: H, D: D,
                                            queryStart: Tk - 1, keyPositions: Array(0..<Tk), window: nil)
        for path in [SkinnyLinear.Path.automatic, .scalar] + (SkinnyLinear.hasAVX2 ? [.avx2] : []) {
            var out = [Float](repeating: .nan, count: H * D)
            var wide = [Float](repeating: .nan, count: H * D)
            var scratch = [Float](repeating: 0, count: Attention.oneQueryScratchCount(keyCount: Tk, headCount: H))
            attention.forwardOneQuery(query: q, keys: kBits, values: vBits, keyCount: Tk, into: &out, scratch: &scratch,
                                      keyRowStride: stride, path: path)
            attention.forwardOneQuery(query: q, keys: kWide, values: vWide, keyCount: Tk, into: &wide, scratch: &scratch,
                                      keyRowStride: stride, path: path)
            #expect(relativeError(out, expected) < 1e-5, "path \(path)")
            #expect(out.map(\.bitPattern) == wide.map(\.bitPattern), "path \(path)")
        }
    }

    /// Round to nearest even, as ck_f32_to_bf16 (finite inputs).
    static func bfloat16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    static func widened(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    @Test func noKeysGiveZeros() {
        let attention = Attention(heads: 2, headDim: 16)
        let q = randomArray(32, seed: 7)
        var out = [Float](repeating: .nan, count: 32)
        var scratch = [Float](repeating: 0, count: 1)
        attention.forwardOneQuery(query: q, keys: q, values: q, keyCount: 0, into: &out, scratch: &scratch)
        #expect(out == [Float](repeating: 0, count: 32))
    }
}
