import Testing
@testable import Kernels

/// `Attention.forwardRing` (CKernels mimi_attention.c: the Mimi decoder's ring attention in the
/// reduced precisions) against naive attention, on both paths, with f32 and bfloat16 rings.
struct AttentionRingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let heads: Int, headDim: Int, slots: Int, queries: Int, start: Int, window: Int
        var testDescription: String { "H \(heads) D \(headDim) slots \(slots) queries \(queries) start \(start) window \(window)" }
    }

    /// The Mimi decoder's shape with the ring wrapped; the tiny model's (head size 16) filling up;
    /// a head size the AVX-512 code does not take (8: portable C); one query; a window shorter
    /// than the ring; slots not a multiple of 16 anywhere.
    static let cases = [
        Case(heads: 8, headDim: 64, slots: 250, queries: 16, start: 400, window: 250),
        Case(heads: 2, headDim: 16, slots: 20, queries: 4, start: 3, window: 20),
        Case(heads: 3, headDim: 8, slots: 7, queries: 5, start: 10, window: 7),
        Case(heads: 2, headDim: 32, slots: 33, queries: 1, start: 40, window: 33),
        Case(heads: 4, headDim: 48, slots: 40, queries: 9, start: 50, window: 12),
    ]

    /// A ring after positions 0 ..< start + queries were written: slot j holds the latest
    /// position ≡ j (mod slots), −1 when none; k, v rows [slots, H·D] random.
    static func ring(_ c: Case, seed: UInt64) -> (k: [Float], v: [Float], positions: [Int]) {
        let width = c.heads * c.headDim
        let end = c.start + c.queries
        let positions = (0..<c.slots).map { j -> Int in
            j < end ? j + (end - 1 - j) / c.slots * c.slots : -1
        }
        return (randomArray(c.slots * width, seed: seed, in: -2...2), randomArray(c.slots * width, seed: seed + 1), positions)
    }

    /// Writes rows k, v into a ring of `layout` through `store` (f32) and returns its arrays; the
    /// padding of the keys past the last slot stays NaN (the kernel must not let it through).
    static func f32Ring(_ layout: Attention.RingLayout, k: [Float], v: [Float]) -> (keys: [Float], values: [Float]) {
        var keys = [Float](repeating: .nan, count: layout.keyCount)
        var values = [Float](repeating: .nan, count: layout.valueCount)
        for j in 0..<layout.slots {
            layout.store(key: Array(k[j * layout.width..<(j + 1) * layout.width]),
                         value: Array(v[j * layout.width..<(j + 1) * layout.width]), slot: j, keys: &keys, values: &values)
        }
        return (keys, values)
    }

    static func bf16Ring(_ layout: Attention.RingLayout, k: [Float], v: [Float]) -> (keys: [UInt16], values: [UInt16]) {
        var keys = [UInt16](repeating: 0x7FC0, count: layout.keyCount)  // NaN
        var values = [UInt16](repeating: 0x7FC0, count: layout.valueCount)
        for j in 0..<layout.slots {
            layout.store(key: Array(k[j * layout.width..<(j + 1) * layout.width]),
                         value: Array(v[j * layout.width..<(j + 1) * layout.width]), slot: j, keys: &keys, values: &values)
        }
        return (keys, values)
    }

    @Test(arguments: cases)
    func matchesNaive(c: Case) {
        let attention = Attention(heads: c.heads, headDim: c.headDim, window: c.window)
        let layout = Attention.RingLayout(slots: c.slots, width: c.heads * c.headDim)
        let stride = layout.width + 3  // query rows of a wider matrix (the q of a qkv row)
        let q = randomArray(c.queries * stride, seed: 1, in: -2...2)
        let (k, v, positions) = Self.ring(c, seed: 2)
        let packedQ = (0..<c.queries).flatMap { t in q[t * stride..<t * stride + layout.width] }
        let expected = AttentionTests.naive(q: packedQ, k: k, v: v, Tq: c.queries, Tk: c.slots, H: c.heads, D: c.headDim,
                                            queryStart: c.start, keyPositions: positions, window: c.window)
        let (keys, values) = Self.f32Ring(layout, k: k, v: v)
        for path in [SkinnyLinear.Path.automatic, .scalar] {
            var out = [Float](repeating: .nan, count: c.queries * layout.width)
            var scratch = [Float](repeating: .nan, count: attention.ringScratchCount(queryCount: c.queries, ring: layout))
            let ran = attention.forwardRing(queries: q, queryCount: c.queries, queryStart: c.start, ring: layout, keys: keys,
                                            values: values, keyPositions: positions, into: &out, scratch: &scratch,
                                            queryRowStride: stride, path: path)
            #expect(relativeError(out, expected) < 1e-5, "path \(path)")
            if path == .automatic && SkinnyLinear.hasAVX512 { #expect(ran == (c.headDim % 16 == 0 ? .avx512 : .scalar)) }
        }
    }

    /// The bfloat16 ring against naive attention over K/V rounded to bfloat16 (nearest even) and
    /// widened, and bit for bit the f32 ring holding those widened values, on both paths.
    @Test(arguments: cases)
    func bfloat16RingMatchesNaiveOverRoundedRows(c: Case) {
        let attention = Attention(heads: c.heads, headDim: c.headDim, window: c.window)
        let layout = Attention.RingLayout(slots: c.slots, width: c.heads * c.headDim)
        let q = randomArray(c.queries * layout.width, seed: 11, in: -2...2)
        let (k, v, positions) = Self.ring(c, seed: 12)
        let rounded = { (x: [Float]) in x.map { AttentionOneQueryTests.widened(AttentionOneQueryTests.bfloat16Bits($0)) } }
        let (kWide, vWide) = (rounded(k), rounded(v))
        #expect(kWide != k, "the rounding changes the keys")
        let expected = AttentionTests.naive(q: q, k: kWide, v: vWide, Tq: c.queries, Tk: c.slots, H: c.heads, D: c.headDim,
                                            queryStart: c.start, keyPositions: positions, window: c.window)
        let (bits, bitValues) = Self.bf16Ring(layout, k: k, v: v)
        let (wide, wideValues) = Self.f32Ring(layout, k: kWide, v: vWide)
        for path in [SkinnyLinear.Path.automatic, .scalar] {
            var out = [Float](repeating: .nan, count: c.queries * layout.width)
            var widened = out
            var scratch = [Float](repeating: .nan, count: attention.ringScratchCount(queryCount: c.queries, ring: layout))
            attention.forwardRing(queries: q, queryCount: c.queries, queryStart: c.start, ring: layout, keys: bits,
                                  values: bitValues, keyPositions: positions, into: &out, scratch: &scratch, path: path)
            attention.forwardRing(queries: q, queryCount: c.queries, queryStart: c.start, ring: layout, keys: wide,
                                  values: wideValues, keyPositions: positions, into: &widened, scratch: &scratch, path: path)
            #expect(relativeError(out, expected) < 1e-5, "path \(path)")
            #expect(out.map(\.bitPattern) == widened.map(\.bitPattern), "path \(path)")
        }
    }

    /// `store` puts k[c] at c · keyStride + slot and v[c] at slot · width + c (bfloat16: rounded
    /// to nearest even).
    @Test func storeLaysOutKeysChannelMajorAndValuesSlotMajor() {
        let layout = Attention.RingLayout(slots: 21, width: 48)
        #expect(layout.keyStride == 32 && layout.keyCount == 48 * 32 && layout.valueCount == 21 * 48)
        let k = randomArray(48, seed: 21), v = randomArray(48, seed: 22)
        var keys = [Float](repeating: 0, count: layout.keyCount), values = [Float](repeating: 0, count: layout.valueCount)
        var keyBits = [UInt16](repeating: 0, count: layout.keyCount), valueBits = [UInt16](repeating: 0, count: layout.valueCount)
        layout.store(key: k, value: v, slot: 13, keys: &keys, values: &values)
        layout.store(key: k, value: v, slot: 13, keys: &keyBits, values: &valueBits)
        for c in 0..<48 {
            #expect(keys[c * 32 + 13] == k[c] && values[13 * 48 + c] == v[c])
            #expect(keyBits[c * 32 + 13] == AttentionOneQueryTests.bfloat16Bits(k[c]))
            #expect(valueBits[13 * 48 + c] == AttentionOneQueryTests.bfloat16Bits(v[c]))
        }
        #expect(keys.filter { $0 != 0 }.count == 48 && values.filter { $0 != 0 }.count == 48)
    }

    /// A query with no visible slot (all empty, or all out of its window) gets zeros.
    @Test func noVisibleSlotGivesZeros() {
        let attention = Attention(heads: 2, headDim: 16, window: 4)
        let layout = Attention.RingLayout(slots: 20, width: 32)
        let (keys, values) = Self.f32Ring(layout, k: randomArray(20 * 32, seed: 31), v: randomArray(20 * 32, seed: 32))
        let q = randomArray(2 * 32, seed: 33)
        for positions in [[Int](repeating: -1, count: 20), (0..<20).map { $0 }] {
            for path in [SkinnyLinear.Path.automatic, .scalar] {
                var out = [Float](repeating: .nan, count: 2 * 32)
                var scratch = [Float](repeating: .nan, count: attention.ringScratchCount(queryCount: 2, ring: layout))
                attention.forwardRing(queries: q, queryCount: 2, queryStart: 100, ring: layout, keys: keys, values: values,
                                      keyPositions: positions, into: &out, scratch: &scratch, path: path)
                #expect(out == [Float](repeating: 0, count: 64), "path \(path)")
            }
        }
    }
}
