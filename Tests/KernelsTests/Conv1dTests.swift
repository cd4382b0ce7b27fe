import Testing
@testable import Kernels

struct Conv1dTests {
    /// torch.nn.functional.conv1d without padding, in Double.
    static func naive(_ x: [Float], T: Int, _ conv: Conv1d) -> [Double] {
        let (K, S, Dl, G) = (conv.kernelSize, conv.stride, conv.dilation, conv.groups)
        let cinG = conv.inChannels / G
        let coutG = conv.outChannels / G
        let Tout = conv.outputLength(inputLength: T)
        var out = [Double](repeating: 0, count: conv.outChannels * Tout)
        for co in 0..<conv.outChannels {
            let g = co / coutG
            for t in 0..<Tout {
                var s = Double(conv.bias?[co] ?? 0)
                for ci in 0..<cinG {
                    for k in 0..<K {
                        let w = conv.weight[(co * cinG + ci) * K + k]
                        s += Double(w) * Double(x[(g * cinG + ci) * T + t * S + k * Dl])
                    }
                }
                out[co * Tout + t] = s
            }
        }
        return out
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let cin: Int, cout: Int, K: Int, stride: Int, dilation: Int, groups: Int, bias: Bool, T: Int
        var testDescription: String { "\(cin)→\(cout) K\(K) s\(stride) d\(dilation) g\(groups) bias \(bias) T\(T)" }
    }

    static let cases: [Case] = [
        Case(cin: 6, cout: 5, K: 7, stride: 1, dilation: 1, groups: 1, bias: true, T: 20),  // im2col + sgemm
        Case(cin: 6, cout: 5, K: 7, stride: 1, dilation: 1, groups: 1, bias: false, T: 7),  // one output sample
        Case(cin: 4, cout: 8, K: 4, stride: 2, dilation: 1, groups: 1, bias: true, T: 17),  // strided
        Case(cin: 3, cout: 3, K: 3, stride: 1, dilation: 3, groups: 1, bias: true, T: 15),  // dilated
        Case(cin: 8, cout: 6, K: 1, stride: 1, dilation: 1, groups: 1, bias: false, T: 9),  // pointwise, no im2col
        Case(cin: 8, cout: 4, K: 3, stride: 2, dilation: 2, groups: 2, bias: true, T: 19),  // grouped
        Case(cin: 6, cout: 6, K: 1, stride: 1, dilation: 1, groups: 3, bias: true, T: 5),  // grouped pointwise
        Case(cin: 5, cout: 5, K: 32, stride: 1, dilation: 1, groups: 5, bias: true, T: 40),  // depthwise
        Case(cin: 5, cout: 5, K: 32, stride: 16, dilation: 1, groups: 5, bias: false, T: 64),  // depthwise strided
        Case(cin: 5, cout: 5, K: 3, stride: 1, dilation: 2, groups: 5, bias: false, T: 9),  // depthwise dilated
    ]

    @Test(arguments: cases)
    func forwardMatchesNaive(c: Case) {
        let weight = Tensor.random([c.cout, c.cin / c.groups, c.K], seed: 1)
        let bias = c.bias ? Tensor.random([c.cout], seed: 2) : nil
        let conv = Conv1d(weight: weight, bias: bias, stride: c.stride, dilation: c.dilation, groups: c.groups)
        #expect(conv.inChannels == c.cin && conv.outChannels == c.cout && conv.kernelSize == c.K)
        let x = Tensor.random([c.cin, c.T], seed: 3)
        let y = conv(x)
        let Tout = (c.T - c.dilation * (c.K - 1) - 1) / c.stride + 1
        #expect(y.shape == [c.cout, Tout])
        #expect(relativeError(y.data, Self.naive(x.data, T: c.T, conv)) < 1e-5)
    }

    @Test func outputLengthAndScratch() {
        let conv = Conv1d(weight: Tensor.zeros([2, 3, 4]), stride: 2, dilation: 2)
        #expect(conv.effectiveKernelSize == 7)
        #expect(conv.outputLength(inputLength: 6) == 0)
        #expect(conv.outputLength(inputLength: 7) == 1)
        #expect(conv.outputLength(inputLength: 10) == 2)
        #expect(conv.scratchCount(inputLength: 10) == 3 * 4 * 2)
        #expect(Conv1d(weight: Tensor.zeros([4, 1, 5]), groups: 4).scratchCount(inputLength: 10) == 0)
        #expect(Conv1d(weight: Tensor.zeros([4, 3, 1])).scratchCount(inputLength: 10) == 0)
        #expect(conv(Tensor.zeros([3, 5])).shape == [2, 0])
    }

    @Test func pointerFormOverwritesOutput() {
        // forward writes (not accumulates) the output, whatever the buffer held before.
        let conv = Conv1d(weight: Tensor.random([4, 3, 3], seed: 4), bias: Tensor.random([4], seed: 5))
        let x = randomArray(3 * 10, seed: 6)
        var y = [Float](repeating: 1000, count: 4 * 8)
        var scratch = [Float](repeating: .nan, count: conv.scratchCount(inputLength: 10))
        y.withUnsafeMutableBufferPointer { yp in
            scratch.withUnsafeMutableBufferPointer { conv.forward(x, length: 10, into: yp.baseAddress!, scratch: $0.baseAddress!) }
        }
        #expect(relativeError(y, Self.naive(x, T: 10, conv)) < 1e-5)
    }
}
