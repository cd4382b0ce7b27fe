import Testing
@testable import Kernels

struct ConvTranspose1dTests {
    /// torch.nn.functional.conv_transpose1d (padding 0), full output, in Double.
    static func naive(_ x: [Float], T: Int, _ conv: ConvTranspose1d) -> [Double] {
        let (K, S, G) = (conv.kernelSize, conv.stride, conv.groups)
        let cinG = conv.inChannels / G
        let coutG = conv.outChannels / G
        let Tout = conv.outputLength(inputLength: T)
        var out = [Double](repeating: 0, count: conv.outChannels * Tout)
        for co in 0..<conv.outChannels {
            for t in 0..<Tout { out[co * Tout + t] = Double(conv.bias?[co] ?? 0) }
        }
        for ci in 0..<conv.inChannels {
            let g = ci / cinG
            for col in 0..<coutG {
                let co = g * coutG + col
                for t in 0..<T {
                    for k in 0..<K {
                        out[co * Tout + t * S + k] += Double(x[ci * T + t]) * Double(conv.weight[(ci * coutG + col) * K + k])
                    }
                }
            }
        }
        return out
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let cin: Int, cout: Int, K: Int, stride: Int, groups: Int, bias: Bool, T: Int
        var testDescription: String { "\(cin)→\(cout) K\(K) s\(stride) g\(groups) bias \(bias) T\(T)" }
    }

    static let cases: [Case] = [
        Case(cin: 8, cout: 4, K: 12, stride: 6, groups: 1, bias: true, T: 5),  // SEANet-like upsampling
        Case(cin: 8, cout: 4, K: 10, stride: 5, groups: 1, bias: false, T: 1),
        Case(cin: 3, cout: 5, K: 3, stride: 1, groups: 1, bias: true, T: 7),  // overlapping, stride 1
        Case(cin: 3, cout: 2, K: 2, stride: 4, groups: 1, bias: true, T: 4),  // stride > K: gaps
        Case(cin: 6, cout: 4, K: 4, stride: 2, groups: 2, bias: true, T: 6),  // grouped
        Case(cin: 7, cout: 7, K: 32, stride: 16, groups: 7, bias: false, T: 3),  // depthwise (Mimi upsample)
        Case(cin: 7, cout: 7, K: 5, stride: 2, groups: 7, bias: true, T: 9),  // depthwise, K not a multiple of 16
    ]

    @Test(arguments: cases)
    func forwardMatchesNaive(c: Case) {
        let weight = Tensor.random([c.cin, c.cout / c.groups, c.K], seed: 1)
        let bias = c.bias ? Tensor.random([c.cout], seed: 2) : nil
        let conv = ConvTranspose1d(weight: weight, bias: bias, stride: c.stride, groups: c.groups)
        #expect(conv.inChannels == c.cin && conv.outChannels == c.cout)
        let x = Tensor.random([c.cin, c.T], seed: 3)
        let y = conv(x)
        #expect(y.shape == [c.cout, (c.T - 1) * c.stride + c.K])
        #expect(relativeError(y.data, Self.naive(x.data, T: c.T, conv)) < 1e-5)
    }

    @Test func overlapAddOfChunksEqualsOneCall() {
        // The full output is linear and shift-equivariant: convtr(x1 ++ x2) equals convtr(x1)
        // overlap-added with convtr(x2) shifted by T1·stride, plus the bias once. This is what a
        // streaming wrapper relies on.
        let conv = ConvTranspose1d(weight: Tensor.random([4, 3, 10], seed: 4), bias: Tensor.random([3], seed: 5), stride: 4)
        let noBias = ConvTranspose1d(weight: conv.weight, inChannels: 4, outChannels: 3, kernelSize: 10, stride: 4)
        let x = Tensor.random([4, 7], seed: 6)
        let (T1, T2) = (3, 4)
        let x1 = Tensor(shape: [4, T1], data: (0..<4).flatMap { Array(x.data[($0 * 7)..<($0 * 7 + T1)]) })
        let x2 = Tensor(shape: [4, T2], data: (0..<4).flatMap { Array(x.data[($0 * 7 + T1)..<($0 * 7 + 7)]) })
        let whole = conv(x)
        let y1 = noBias(x1), y2 = noBias(x2)
        let (L, L1, L2) = (whole.shape[1], y1.shape[1], y2.shape[1])
        var summed = (0..<(3 * L)).map { Double(conv.bias![$0 / L]) }
        for c in 0..<3 {
            for t in 0..<L1 { summed[c * L + t] += Double(y1.data[c * L1 + t]) }
            for t in 0..<L2 { summed[c * L + T1 * 4 + t] += Double(y2.data[c * L2 + t]) }
        }
        #expect(relativeError(whole.data, summed) < 1e-5)
    }

    @Test func pointerFormOverwritesOutput() {
        let conv = ConvTranspose1d(weight: Tensor.random([3, 2, 4], seed: 7), stride: 2)
        let x = randomArray(3 * 5, seed: 8)
        var y = [Float](repeating: 1000, count: 2 * conv.outputLength(inputLength: 5))
        var scratch = [Float](repeating: .nan, count: conv.scratchCount(inputLength: 5))
        y.withUnsafeMutableBufferPointer { yp in
            scratch.withUnsafeMutableBufferPointer { conv.forward(x, length: 5, into: yp.baseAddress!, scratch: $0.baseAddress!) }
        }
        #expect(relativeError(y, Self.naive(x, T: 5, conv)) < 1e-5)
        #expect(conv.outputLength(inputLength: 0) == 0 && conv.outputLength(inputLength: 1) == 4)
    }
}
