import Testing
@testable import Kernels

/// `ConvTranspose1d.col2imDoubleStride` (SEANet's upsampling convs) against the plain col2im
/// loop (bias, then each kernel row added in k order): the same bits.
struct Col2ImTests {
    static func naive(_ columns: [Float], channels: Int, stride S: Int, length T: Int, bias: [Float]?) -> [Float] {
        let (K, Lf) = (2 * S, (T + 1) * S)
        var full = [Float](repeating: 0, count: channels * Lf)
        for c in 0..<channels {
            for i in 0..<Lf { full[c * Lf + i] = bias?[c] ?? 0 }
            for k in 0..<K { for t in 0..<T { full[c * Lf + t * S + k] += columns[(c * K + k) * T + t] } }
        }
        return full
    }

    @Test(arguments: [(3, 1, 1), (2, 4, 5), (5, 6, 16), (4, 5, 96), (1, 2, 7)])
    func matchesThePlainLoopBitForBit(channels: Int, stride: Int, length: Int) {
        for withBias in [false, true] {
            let columns = randomArray(channels * 2 * stride * length, seed: UInt64(stride * 100 + length), in: -3...3)
            let bias = withBias ? randomArray(channels, seed: 9) : nil
            let want = Self.naive(columns, channels: channels, stride: stride, length: length, bias: bias)
            var got = [Float](repeating: .nan, count: want.count)
            columns.withUnsafeBufferPointer { x in
                got.withUnsafeMutableBufferPointer { y in
                    (bias ?? [0]).withUnsafeBufferPointer { b in
                        ConvTranspose1d.col2imDoubleStride(x.baseAddress!, channels: channels, stride: stride, length: length,
                                                           bias: withBias ? b.baseAddress : nil, into: y.baseAddress!)
                    }
                }
            }
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern))
        }
    }
}
