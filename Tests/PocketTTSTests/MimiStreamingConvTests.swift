import Kernels
import Testing
@testable import PocketTTS

@Suite struct MimiStreamingConvTests {
    typealias S = MimiTestSupport

    /// Causal conv of the whole sequence by direct loops: left-pad by historyLength (zeros or the
    /// first sample), then torch Conv1d semantics.
    func naiveCausalConv(
        _ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, dilation: Int, groups: Int, replicate: Bool
    ) -> Tensor {
        let (Cin, T) = (x.shape[0], x.shape[1])
        let (Cout, cinG, K) = (weight.shape[0], weight.shape[1], weight.shape[2])
        let P = dilation * (K - 1) + 1 - stride
        let Tout = T / stride
        var y = Tensor.zeros([Cout, Tout])
        for co in 0..<Cout {
            let g = co / (Cout / groups)
            for t in 0..<Tout {
                var acc = bias?.data[co] ?? 0
                for cl in 0..<cinG {
                    let ci = g * cinG + cl
                    for k in 0..<K {
                        let src = t * stride + k * dilation - P  // index into the unpadded input
                        let v: Float = src >= 0 ? x[ci, src] : (replicate ? x[ci, 0] : 0)
                        acc += weight[co, cl, k] * v
                    }
                }
                y[co, t] = acc
            }
        }
        _ = Cin
        return y
    }

    /// First T·stride samples of the full transposed conv, by direct loops.
    func naiveConvTranspose(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, groups: Int) -> Tensor {
        let (Cin, T) = (x.shape[0], x.shape[1])
        let (coutG, K) = (weight.shape[1], weight.shape[2])
        let Cout = coutG * groups
        let cinG = Cin / groups
        var full = Tensor.zeros([Cout, (T - 1) * stride + K])
        for ci in 0..<Cin {
            let g = ci / cinG
            for cl in 0..<coutG {
                for t in 0..<T { for k in 0..<K { full[g * coutG + cl, t * stride + k] += x[ci, t] * weight[ci, cl, k] } }
            }
        }
        if let bias { for co in 0..<Cout { for j in 0..<full.shape[1] { full[co, j] += bias.data[co] } } }
        return S.columns(full, 0, T * stride)
    }

    func streamed<M: StreamingModule>(_ m: M, _ x: Tensor, chunks: [Int], state: M.State) -> Tensor {
        var state = state
        var offset = 0
        var outs: [Tensor] = []
        for n in chunks {
            outs.append(m.step(S.columns(x, offset, n), state: &state))
            offset += n
        }
        return S.concatColumns(outs)
    }

    struct ConvCase: Sendable, CustomTestStringConvertible {
        let cin, cout, kernel, stride, dilation, groups: Int
        let mode: ConvPaddingMode
        let bias: Bool
        var testDescription: String { "k\(kernel) s\(stride) d\(dilation) g\(groups) \(mode.rawValue)" }
    }

    @Test(arguments: [
        ConvCase(cin: 6, cout: 5, kernel: 7, stride: 1, dilation: 1, groups: 1, mode: .constant, bias: true),
        ConvCase(cin: 6, cout: 4, kernel: 3, stride: 1, dilation: 2, groups: 1, mode: .constant, bias: true),
        ConvCase(cin: 4, cout: 8, kernel: 8, stride: 4, dilation: 1, groups: 1, mode: .constant, bias: true),
        ConvCase(cin: 5, cout: 5, kernel: 32, stride: 16, dilation: 1, groups: 1, mode: .replicate, bias: false),
        ConvCase(cin: 4, cout: 6, kernel: 4, stride: 2, dilation: 1, groups: 2, mode: .replicate, bias: true),
        ConvCase(cin: 3, cout: 3, kernel: 1, stride: 1, dilation: 1, groups: 1, mode: .constant, bias: true),
    ])
    func conv1dChunksEqualOnePassAndNaive(_ c: ConvCase) {
        let w = Tensor.random([c.cout, c.cin / c.groups, c.kernel], seed: 1)
        let b = c.bias ? Tensor.random([c.cout], seed: 2) : nil
        let conv = StreamingConv1d(conv: Conv1d(weight: w, bias: b, stride: c.stride, dilation: c.dilation, groups: c.groups),
                                   paddingMode: c.mode)
        let T = 12 * c.stride * 4  // one pass: 48 output steps (Kernels path); chunks: <= 5 (SkinnyGEMM)
        let x = Tensor.random([c.cin, T], seed: 3)
        let whole = streamed(conv, x, chunks: [T], state: conv.makeState())
        let naive = naiveCausalConv(x, weight: w, bias: b, stride: c.stride, dilation: c.dilation,
                                    groups: c.groups, replicate: c.mode == .replicate)
        #expect(whole.shape == [c.cout, T / c.stride])
        #expect(S.scaledError(whole, naive) <= 1e-5)
        for seed in UInt64(10)..<13 {
            let chunks = S.randomChunks(total: T, unit: c.stride, maxUnits: 5, seed: seed)
            let stepped = streamed(conv, x, chunks: chunks, state: conv.makeState())
            #expect(S.scaledError(stepped, whole) <= 1e-5, "chunks \(chunks)")
        }
    }

    @Test func replicateDiffersFromConstantOnlyAtTheStart() {
        let w = Tensor.random([3, 3, 8], seed: 4)
        let x = Tensor.random([3, 32], seed: 5)
        let rep = StreamingConv1d(conv: Conv1d(weight: w, stride: 4), paddingMode: .replicate)
        let con = StreamingConv1d(conv: Conv1d(weight: w, stride: 4), paddingMode: .constant)
        let a = streamed(rep, x, chunks: [32], state: rep.makeState())
        let b = streamed(con, x, chunks: [32], state: con.makeState())
        #expect(Tensor.maxAbsDifference(S.columns(a, 0, 1), S.columns(b, 0, 1)) > 1e-3)
        #expect(Tensor.maxAbsDifference(S.columns(a, 1, 7), S.columns(b, 1, 7)) == 0)
    }

    @Test func fusedELUEqualsELUBefore() {
        let w = Tensor.random([4, 3, 3], seed: 6)
        let conv = StreamingConv1d(conv: Conv1d(weight: w, dilation: 2))
        let x = Tensor.random([3, 20], seed: 7, in: -3...3)
        var s1 = conv.makeState()
        var s2 = conv.makeState()
        let reference = conv.step(Activation.elu(x), state: &s1)
        var fused = Tensor.zeros(reference.shape)
        x.data.withUnsafeBufferPointer { xp in
            fused.data.withUnsafeMutableBufferPointer { yp in
                conv.forward(xp.baseAddress!, length: 20, into: yp.baseAddress!, state: &s2, applyingELU: true)
            }
        }
        #expect(Tensor.maxAbsDifference(fused, reference) <= 1e-6)
    }

    struct TransposeCase: Sendable, CustomTestStringConvertible {
        let cin, cout, kernel, stride, groups: Int
        let bias: Bool
        var testDescription: String { "k\(kernel) s\(stride) g\(groups)" }
    }

    @Test(arguments: [
        TransposeCase(cin: 6, cout: 3, kernel: 12, stride: 6, groups: 1, bias: true),
        TransposeCase(cin: 4, cout: 2, kernel: 8, stride: 4, groups: 1, bias: true),
        TransposeCase(cin: 5, cout: 5, kernel: 32, stride: 16, groups: 5, bias: false),
        TransposeCase(cin: 4, cout: 4, kernel: 5, stride: 2, groups: 2, bias: true),
    ])
    func convTransposeChunksEqualOnePassAndNaive(_ c: TransposeCase) {
        let w = Tensor.random([c.cin, c.cout / c.groups, c.kernel], seed: 8)
        let b = c.bias ? Tensor.random([c.cout], seed: 9) : nil
        let convtr = StreamingConvTranspose1d(convTranspose: ConvTranspose1d(weight: w, bias: b, stride: c.stride, groups: c.groups))
        let T = 40  // one pass > 32 steps takes the Kernels path, chunks take SkinnyGEMM
        let x = Tensor.random([c.cin, T], seed: 10)
        let whole = streamed(convtr, x, chunks: [T], state: convtr.makeState())
        #expect(whole.shape == [c.cout, T * c.stride])
        #expect(S.scaledError(whole, naiveConvTranspose(x, weight: w, bias: b, stride: c.stride, groups: c.groups)) <= 1e-5)
        for seed in UInt64(20)..<23 {
            let chunks = S.randomChunks(total: T, unit: 1, maxUnits: 4, seed: seed)
            let stepped = streamed(convtr, x, chunks: chunks, state: convtr.makeState())
            #expect(S.scaledError(stepped, whole) <= 1e-5, "chunks \(chunks)")
        }
    }
}
