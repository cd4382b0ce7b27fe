import Testing
@testable import Kernels

/// Grouped-query attention (`keyValueHeads` < `heads`, pocket-tts 4.0.1's `num_kv_heads`):
/// the BLAS form and the one-query kernel (f32 and bfloat16 caches, both paths) against naive
/// attention over keys and values repeated per query head (torch `repeat_interleave`).
struct AttentionGroupedQueryTests {
    /// [T, Hkv, D] rows → [T, H, D]: key/value head g serves query heads g·group ..< (g + 1)·group.
    static func repeatInterleave(_ x: [Float], rows: Int, keyValueHeads: Int, group: Int, headDim D: Int) -> [Float] {
        var out: [Float] = []
        for t in 0..<rows {
            for h in 0..<keyValueHeads * group {
                let row = t * keyValueHeads + h / group
                out += x[row * D..<(row + 1) * D]
            }
        }
        return out
    }

    @Test(arguments: [(heads: 3, keyValueHeads: 1, headDim: 64, keys: 23), (heads: 8, keyValueHeads: 2, headDim: 64, keys: 9),
                      (heads: 4, keyValueHeads: 2, headDim: 8, keys: 1)])
    func matchesNaiveOverRepeatedKeys(shape: (heads: Int, keyValueHeads: Int, headDim: Int, keys: Int)) {
        let (H, G, D, Tk) = shape
        let attention = Attention(heads: H, headDim: D, keyValueHeads: G)
        #expect(attention.groupSize == H / G && attention.keyValueHead(of: H - 1) == G - 1)
        let Tq = 4
        let q = randomArray(Tq * H * D, seed: 21, in: -2...2)
        let k = randomArray(Tk * G * D, seed: 22, in: -2...2)
        let v = randomArray(Tk * G * D, seed: 23)
        let (kr, vr) = (Self.repeatInterleave(k, rows: Tk, keyValueHeads: G, group: H / G, headDim: D),
                        Self.repeatInterleave(v, rows: Tk, keyValueHeads: G, group: H / G, headDim: D))
        // Queries at the last Tq positions (the earliest may see no key when Tq > Tk).
        let start = Tk - 1
        let expected = AttentionTests.naive(q: q, k: kr, v: vr, Tq: Tq, Tk: Tk, H: H, D: D, queryStart: start,
                                            keyPositions: Array(0..<Tk), window: nil)
        let blas = attention(queries: Tensor(shape: [Tq, H, D], data: q), keys: Tensor(shape: [Tk, G, D], data: k),
                             values: Tensor(shape: [Tk, G, D], data: v), queryStart: start)
        #expect(relativeError(blas.data, expected) < 1e-5)

        // One query at position Tk − 1 over every key, f32 and bfloat16 caches.
        let lastQuery = Array(q[0..<H * D])
        let one = AttentionTests.naive(q: lastQuery, k: kr, v: vr, Tq: 1, Tk: Tk, H: H, D: D, queryStart: Tk - 1,
                                       keyPositions: Array(0..<Tk), window: nil)
        let (kb, vb) = (k.map(FloatConversionTestSupport.bfloat16), v.map(FloatConversionTestSupport.bfloat16))
        let widened = { (x: [UInt16]) in x.map { Float(bitPattern: UInt32($0) << 16) } }
        let oneRounded = AttentionTests.naive(
            q: lastQuery, k: Self.repeatInterleave(widened(kb), rows: Tk, keyValueHeads: G, group: H / G, headDim: D),
            v: Self.repeatInterleave(widened(vb), rows: Tk, keyValueHeads: G, group: H / G, headDim: D),
            Tq: 1, Tk: Tk, H: H, D: D, queryStart: Tk - 1, keyPositions: Array(0..<Tk), window: nil)
        for path in [SkinnyLinear.Path.automatic, .scalar] {
            var out = [Float](repeating: .nan, count: H * D)
            var pieces = [Float](repeating: .nan, count: H * D)
            var scratch = [Float](repeating: 0, count: Attention.oneQueryScratchCount(keyCount: Tk, headCount: H))
            attention.forwardOneQuery(query: lastQuery, keys: k, values: v, keyCount: Tk, into: &out, scratch: &scratch, path: path)
            #expect(relativeError(out, one) < 1e-5, "f32, path \(path)")
            // Head ranges that split a group give the values of one call.
            attention.forwardOneQuery(query: lastQuery, keys: k, values: v, keyCount: Tk, into: &pieces, scratch: &scratch,
                                      heads: 0..<1, path: path)
            attention.forwardOneQuery(query: lastQuery, keys: k, values: v, keyCount: Tk, into: &pieces, scratch: &scratch,
                                      heads: 1..<H, path: path)
            #expect(pieces == out, "pieces, path \(path)")
            attention.forwardOneQuery(query: lastQuery, keys: kb, values: vb, keyCount: Tk, into: &out, scratch: &scratch,
                                      path: path)
            #expect(relativeError(out, oneRounded) < 1e-5, "bfloat16, path \(path)")
        }
    }
}

/// bfloat16 rounding (nearest even) for the tests: the Kernels target has no FloatConversion.
enum FloatConversionTestSupport {
    static func bfloat16(_ value: Float) -> UInt16 {
        var bits = [UInt16](repeating: 0, count: 1)
        _ = SkinnyLinear.round([value], toBFloat16: &bits, count: 1)
        return bits[0]
    }
}
