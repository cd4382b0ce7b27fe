import Testing
@testable import Kernels

/// `ConvTranspose1d.col2imOverlapDoubleStride` (SEANet's upsampling convs) against the plain
/// loops of a streaming transposed conv (bias, each kernel row added in k order, then the
/// previous call's overlap, and the new overlap minus the bias kept): the same bits.
struct Col2ImTests {
    static func naive(_ columns: [Float], channels: Int, stride S: Int, length T: Int, bias: [Float]?,
                      partial: inout [Float]) -> [Float] {
        let (K, Lf, Lo) = (2 * S, (T + 1) * S, T * S)
        var full = [Float](repeating: 0, count: channels * Lf)
        var y = [Float](repeating: 0, count: channels * Lo)
        for c in 0..<channels {
            for i in 0..<Lf { full[c * Lf + i] = bias?[c] ?? 0 }
            for k in 0..<K { for t in 0..<T { full[c * Lf + t * S + k] += columns[(c * K + k) * T + t] } }
            for i in 0..<S { full[c * Lf + i] += partial[c * S + i] }
            for i in 0..<S { partial[c * S + i] = full[c * Lf + Lo + i] - (bias?[c] ?? 0) }
            for i in 0..<Lo { y[c * Lo + i] = full[c * Lf + i] }
        }
        return y
    }

    @Test(arguments: [(3, 1, 1), (2, 4, 5), (5, 6, 16), (4, 5, 96), (1, 2, 7), (2, 3, 1)])
    func matchesThePlainLoopsBitForBit(channels: Int, stride: Int, length: Int) {
        for withBias in [false, true] {
            let bias = withBias ? randomArray(channels, seed: 9) : nil
            var (wantPartial, gotPartial) = (randomArray(channels * stride, seed: 10), [Float]())
            gotPartial = wantPartial
            for call in 0..<2 {  // the second call adds the first one's overlap
                let columns = randomArray(channels * 2 * stride * length, seed: UInt64(stride * 100 + length + call), in: -3...3)
                let want = Self.naive(columns, channels: channels, stride: stride, length: length, bias: bias,
                                      partial: &wantPartial)
                var got = [Float](repeating: .nan, count: want.count)
                columns.withUnsafeBufferPointer { x in
                    got.withUnsafeMutableBufferPointer { y in
                        (bias ?? [0]).withUnsafeBufferPointer { b in
                            ConvTranspose1d.col2imOverlapDoubleStride(
                                x.baseAddress!, channels: channels, stride: stride, length: length,
                                bias: withBias ? b.baseAddress : nil, partial: &gotPartial, into: y.baseAddress!)
                        }
                    }
                }
                #expect(got.map(\.bitPattern) == want.map(\.bitPattern))
                #expect(gotPartial.map(\.bitPattern) == wantPartial.map(\.bitPattern))
            }
        }
    }
}
