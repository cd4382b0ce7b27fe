import Foundation
import Testing
@testable import Kernels

struct AttentionTests {
    /// Naive attention in Double: query t (position queryStart + t) sees key j iff
    /// keyPositions[j] >= 0 and 0 <= p − keyPositions[j] < window.
    static func naive(
        q: [Float], k: [Float], v: [Float], Tq: Int, Tk: Int, H: Int, D: Int,
        queryStart: Int, keyPositions: [Int], window: Int?
    ) -> [Double] {
        var out = [Double](repeating: 0, count: Tq * H * D)
        let scale = 1 / Double(D).squareRoot()
        for t in 0..<Tq {
            let p = queryStart + t
            for h in 0..<H {
                var weights = [Double](repeating: 0, count: Tk)
                var visible = [Bool](repeating: false, count: Tk)
                for j in 0..<Tk {
                    let delta = p - keyPositions[j]
                    visible[j] = keyPositions[j] >= 0 && delta >= 0 && delta < (window ?? Int.max)
                    var s = 0.0
                    for d in 0..<D { s += Double(q[(t * H + h) * D + d]) * Double(k[(j * H + h) * D + d]) }
                    weights[j] = s * scale
                }
                guard let m = zip(weights, visible).filter({ $0.1 }).map({ $0.0 }).max() else { continue }
                var sum = 0.0
                for j in 0..<Tk { weights[j] = visible[j] ? exp(weights[j] - m) : 0; sum += weights[j] }
                for j in 0..<Tk where visible[j] {
                    for d in 0..<D { out[(t * H + h) * D + d] += weights[j] / sum * Double(v[(j * H + h) * D + d]) }
                }
            }
        }
        return out
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let Tq: Int, Tk: Int, queryStart: Int, keyStart: Int, window: Int?
        var testDescription: String { "Tq \(Tq) Tk \(Tk) q0 \(queryStart) k0 \(keyStart) window \(window.map(String.init) ?? "none")" }
    }

    static let cases: [Case] = [
        Case(Tq: 1, Tk: 9, queryStart: 8, keyStart: 0, window: nil),  // decode step (sgemv path)
        Case(Tq: 4, Tk: 10, queryStart: 6, keyStart: 0, window: nil),  // prefill after a cache
        Case(Tq: 5, Tk: 12, queryStart: 9, keyStart: 2, window: 3),  // windowed, keys not from 0
        Case(Tq: 1, Tk: 7, queryStart: 10, keyStart: 4, window: 4),  // windowed decode step
        Case(Tq: 3, Tk: 3, queryStart: 0, keyStart: 0, window: 1),  // window 1: each sees itself only
    ]

    @Test(arguments: cases)
    func contiguousKeysMatchNaive(c: Case) {
        let (H, D) = (3, 8)
        let attention = Attention(heads: H, headDim: D, window: c.window)
        let q = Tensor.random([c.Tq, H, D], seed: 1, in: -2...2)
        let k = Tensor.random([c.Tk, H, D], seed: 2, in: -2...2)
        let v = Tensor.random([c.Tk, H, D], seed: 3)
        let y = attention(queries: q, keys: k, values: v, queryStart: c.queryStart, keyStart: c.keyStart)
        let expected = Self.naive(q: q.data, k: k.data, v: v.data, Tq: c.Tq, Tk: c.Tk, H: H, D: D,
                                  queryStart: c.queryStart, keyPositions: Array(c.keyStart..<(c.keyStart + c.Tk)),
                                  window: c.window)
        #expect(relativeError(y.data, expected) < 1e-5)
    }

    @Test func windowChangesTheResult() {
        let q = Tensor.random([2, 1, 4], seed: 4), k = Tensor.random([6, 1, 4], seed: 5), v = Tensor.random([6, 1, 4], seed: 6)
        let full = Attention(heads: 1, headDim: 4)(queries: q, keys: k, values: v, queryStart: 4)
        let windowed = Attention(heads: 1, headDim: 4, window: 2)(queries: q, keys: k, values: v, queryStart: 4)
        #expect(Tensor.maxAbsDifference(full, windowed) > 1e-3)
    }

    @Test(arguments: [1, 4])
    func keyPositionsMatchNaive(Tq: Int) {
        // A ring buffer of capacity 8 after 11 writes holds positions 3...10; slot 1 is also
        // marked empty to exercise negative positions.
        let (H, D, Tk) = (2, 16, 8)
        let positions = [8, -1, 10, 3, 4, 5, 6, 7]
        let attention = Attention(heads: H, headDim: D, window: 6)
        let q = randomArray(Tq * H * D, seed: 7), k = randomArray(Tk * H * D, seed: 8), v = randomArray(Tk * H * D, seed: 9)
        let queryStart = 11 - Tq
        var out = [Float](repeating: .nan, count: Tq * H * D)
        var scratch = [Float](repeating: 0, count: Attention.scratchCount(queryCount: Tq, keyCount: Tk))
        out.withUnsafeMutableBufferPointer { o in
            scratch.withUnsafeMutableBufferPointer { s in
                attention.forward(queries: q, queryCount: Tq, queryStart: queryStart, keys: k, values: v,
                                  keyPositions: positions, keyCount: Tk, into: o.baseAddress!, scratch: s.baseAddress!)
            }
        }
        let expected = Self.naive(q: q, k: k, v: v, Tq: Tq, Tk: Tk, H: H, D: D, queryStart: queryStart,
                                  keyPositions: positions, window: 6)
        #expect(relativeError(out, expected) < 1e-5)
    }

    @Test func rowStridesReadPackedProjections() {
        // q, k, v interleaved as [T, 3, H, D] (FlowLM in_proj output) == separate tensors.
        let (T, H, D) = (5, 2, 8)
        let packed = randomArray(T * 3 * H * D, seed: 10)
        func part(_ i: Int) -> Tensor {
            var data = [Float]()
            for t in 0..<T {
                let start = (t * 3 + i) * H * D
                data += packed[start..<(start + H * D)]
            }
            return Tensor(shape: [T, H, D], data: data)
        }
        let attention = Attention(heads: H, headDim: D)
        let expected = attention(queries: part(0), keys: part(1), values: part(2), queryStart: 0)
        var out = [Float](repeating: .nan, count: T * H * D)
        var scratch = [Float](repeating: 0, count: Attention.scratchCount(queryCount: T, keyCount: T))
        packed.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { s in
                    attention.forward(queries: p.baseAddress!, queryCount: T, queryStart: 0,
                                      keys: p.baseAddress! + H * D, values: p.baseAddress! + 2 * H * D, keyCount: T, keyStart: 0,
                                      into: o.baseAddress!, scratch: s.baseAddress!,
                                      queryRowStride: 3 * H * D, keyRowStride: 3 * H * D)
                }
            }
        }
        #expect(relativeError(out, expected.data) < 1e-6)
    }

    @Test func queryWithoutVisibleKeysGivesZeros() {
        // Keys at positions 5...7, query at position 2: nothing visible.
        let q = Tensor.random([1, 1, 4], seed: 11), k = Tensor.random([3, 1, 4], seed: 12)
        let y = Attention(heads: 1, headDim: 4)(queries: q, keys: k, values: k, queryStart: 2, keyStart: 5)
        #expect(y.data == [0, 0, 0, 0])
    }

    @Test func matchesTorchScaledDotProductAttention() throws {
        let c = try KernelFixture.load().attention
        let attention = Attention(heads: c.H, headDim: c.D, window: c.window)
        var out = [Float](repeating: .nan, count: c.Tq * c.H * c.D)
        var scratch = [Float](repeating: 0, count: Attention.scratchCount(queryCount: c.Tq, keyCount: c.Tk))
        out.withUnsafeMutableBufferPointer { o in
            scratch.withUnsafeMutableBufferPointer { s in
                attention.forward(queries: c.queries, queryCount: c.Tq, queryStart: c.queryStart,
                                  keys: c.keys, values: c.values, keyPositions: c.keyPositions, keyCount: c.Tk,
                                  into: o.baseAddress!, scratch: s.baseAddress!)
            }
        }
        #expect(relativeError(out, c.output) < 1e-5)
    }
}
