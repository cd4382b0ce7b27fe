import Foundation
import Kernels
import Testing
@testable import PocketTTS

@Suite struct MimiTransformerTests {
    typealias S = MimiTestSupport

    func transformer(context: Int = 20) throws -> MimiTransformer {
        var config = S.tinyConfig
        config.transformer.context = context
        return try S.randomMimi(config, seed: 3).decoder.transformer
    }

    /// The transformer by direct loops, with key visibility given by `visible(queryPos, keyPos)`
    /// (positions from 0).
    func naive(_ m: MimiTransformer, _ x: Tensor, visible: (Int, Int) -> Bool) -> Tensor {
        let (T, d) = (x.shape[0], m.dModel)
        let (H, D) = (m.attention.heads, m.attention.headDim)
        var h = x
        for layer in m.layers {
            let qkv = layer.inProjection(layer.norm1(h))  // [T, 3d]
            var q = Tensor.zeros([T, H, D]), k = Tensor.zeros([T, H, D]), v = Tensor.zeros([T, H, D])
            for t in 0..<T {
                for j in 0..<d {
                    q.data[t * d + j] = qkv.data[t * 3 * d + j]
                    k.data[t * d + j] = qkv.data[t * 3 * d + d + j]
                    v.data[t * d + j] = qkv.data[t * 3 * d + 2 * d + j]
                }
            }
            q = m.rope(q, offset: 0)
            k = m.rope(k, offset: 0)
            var attended = Tensor.zeros([T, d])
            for hd in 0..<H {
                for p in 0..<T {
                    var weights = [Double](repeating: 0, count: T)
                    var best = -Double.infinity
                    for s in 0..<T where visible(p, s) {
                        var dot = 0.0
                        for i in 0..<D { dot += Double(q[p, hd, i]) * Double(k[s, hd, i]) }
                        weights[s] = dot / Double(D).squareRoot()
                        best = max(best, weights[s])
                    }
                    var total = 0.0
                    for s in 0..<T where visible(p, s) { weights[s] = exp(weights[s] - best); total += weights[s] }
                    for i in 0..<D {
                        var acc = 0.0
                        for s in 0..<T where visible(p, s) { acc += weights[s] / total * Double(v[s, hd, i]) }
                        attended.data[p * d + hd * D + i] = Float(acc)
                    }
                }
            }
            let update1 = layer.outProjection(attended)
            for t in 0..<T { for j in 0..<d { h.data[t * d + j] += layer.layerScale1[j] * update1.data[t * d + j] } }
            let update2 = layer.linear2(Activation.gelu(layer.linear1(layer.norm2(h))))
            for t in 0..<T { for j in 0..<d { h.data[t * d + j] += layer.layerScale2[j] * update2.data[t * d + j] } }
        }
        return h
    }

    func stepped(_ m: MimiTransformer, _ x: Tensor, chunks: [Int], capacity: Int) -> Tensor {
        var state = m.makeState(capacity: capacity)
        var offset = 0
        var outs: [Tensor] = []
        for n in chunks {
            outs.append(m.step(S.rows(x, offset, n), state: &state))
            offset += n
        }
        #expect(state.position == x.shape[0])
        return S.concatRows(outs)
    }

    @Test func wholeSequenceMatchesNaiveWindowedAttention() throws {
        let m = try transformer()
        let x = Tensor.random([150, 32], seed: 1)  // several query blocks of 64
        let expected = naive(m, x) { p, q in q <= p && p - q < m.context }
        #expect(S.scaledError(m(x), expected) <= 1e-5)
    }

    @Test func ringWithRoomForAChunkEqualsWholeSequence() throws {
        let m = try transformer()
        let x = Tensor.random([70, 32], seed: 2)
        let whole = m(x)
        for seed in UInt64(1)..<4 {
            let chunks = S.randomChunks(total: 70, unit: 1, maxUnits: 16, seed: seed)
            let out = stepped(m, x, chunks: chunks, capacity: m.context + 15)
            #expect(S.scaledError(out, whole) <= 1e-5, "chunks \(chunks)")
        }
    }

    @Test func ringOfContextStepByStepEqualsWholeSequence() throws {
        let m = try transformer()
        let x = Tensor.random([45, 32], seed: 3)
        let out = stepped(m, x, chunks: Array(repeating: 1, count: 45), capacity: m.context)
        #expect(S.scaledError(out, m(x)) <= 1e-5)
    }

    /// The reference's ring of `context` slots, fed 16 rows per call: a query only sees keys
    /// still in the ring after its whole chunk was written (q > lastOfChunk − capacity).
    @Test func ringOfContextWithFrameChunksMatchesReferenceRingMask() throws {
        let m = try transformer()
        let (T, chunk) = (6 * 16, 16)
        let x = Tensor.random([T, 32], seed: 4)
        let ring = naive(m, x) { p, q in
            let last = (p / chunk) * chunk + chunk - 1
            return q <= p && p - q < m.context && q > last - m.context
        }
        let out = stepped(m, x, chunks: Array(repeating: chunk, count: T / chunk), capacity: m.context)
        #expect(S.scaledError(out, ring) <= 1e-5)
        // The ring really loses keys here: the result differs from plain windowed attention.
        #expect(S.scaledError(out, m(x)) > 1e-4)
        // All rows in one call with one ring update per 16 rows equals one call per 16 rows.
        var state = m.makeState(capacity: m.context)
        let batched = m.step(x, state: &state, chunkLength: chunk)
        #expect(S.scaledError(batched, out) <= 1e-6)
    }

    @Test func stateCopiesAreIndependent() throws {
        let m = try transformer()
        let x = Tensor.random([40, 32], seed: 5)
        var a = m.makeState(capacity: m.context)
        _ = m.step(S.rows(x, 0, 16), state: &a)
        var b = a
        let fromA = m.step(S.rows(x, 16, 16), state: &a)
        _ = m.step(S.rows(x, 32, 8), state: &a)  // advances a only
        let fromB = m.step(S.rows(x, 16, 16), state: &b)
        #expect(Tensor.maxAbsDifference(fromA, fromB) == 0)
    }
}
