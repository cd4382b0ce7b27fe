import Foundation
import Testing
@testable import Kernels

/// The int8 kernel (`Precision.int8`) and its quantization against naive loops that follow the
/// documented arithmetic: the same outputs bit for bit, on each path.
struct SkinnyLinearInt8Tests {
    /// Sizes around the 64-byte steps, and output counts around the blocks of 3, 4, 6 and 8.
    static let sizes = [(inF: 1, outF: 1), (3, 5), (63, 9), (64, 16), (65, 7), (127, 23), (200, 29), (513, 3)]
    static let rowCounts = Array(1...9) + [17]

    /// The scalar path always, the AVX-512 and AVX2 ones where the CPU runs them.
    static var paths: [SkinnyLinear.Path] {
        [.scalar] + (SkinnyLinear.hasAVX512VNNI ? [.avx512] : []) + (SkinnyLinear.hasAVX2 ? [.avx2] : [])
    }

    /// One row's quantization: q = round_even(v · 127 / m) in -127...127, scale m / 127.
    static func quantize(_ row: ArraySlice<Float>) -> (values: [Int32], scale: Float) {
        let m = row.reduce(Float(0)) { max($0, abs($1)) }
        let inverse: Float = m > 0 ? 127 / m : 0
        return (row.map { Int32(min(127, max(-127, ($0 * inverse).rounded(.toNearestOrEven)))) }, m / 127)
    }

    /// y = (Σ qx·qw) · (sx · sw) + bias (+ y0), in the kernel's order of f32 operations.
    static func naive(_ x: [Float], rows: Int, _ w: Int8Weights, bias: [Float]?, y0: [Float]?) -> [Float] {
        let (inF, outF) = (w.inFeatures, w.outFeatures)
        var out = [Float](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            let (qx, sx) = quantize(x[r * inF..<(r + 1) * inF])
            for o in 0..<outF {
                var dot: Int32 = 0
                for i in 0..<inF { dot += qx[i] * Int32(w.values[o * inF + i]) }
                var v = Float(dot) * (sx * w.scales[o])
                if let bias { v = v + bias[o] }
                out[r * outF + o] = y0.map { $0[r * outF + o] + v } ?? v
            }
        }
        return out
    }

    static func run(_ x: [Float], rows: Int, _ w: Int8Weights, bias: [Float]?, into y: inout [Float],
                    accumulate: Bool = false, outputs: Range<Int>? = nil, path: SkinnyLinear.Path) -> SkinnyLinear.Path {
        y.withUnsafeMutableBufferPointer { yp in
            (bias ?? []).withUnsafeBufferPointer { b in
                SkinnyLinear.forwardInt8(x, rows: rows, weight: w, bias: bias == nil ? nil : b.baseAddress,
                                         into: yp.baseAddress!, accumulate: accumulate, outputs: outputs, path: path)
            }
        }
    }

    @Test func quantizationFollowsTheRule() {
        let (outF, inF) = (7, 45)
        var raw = randomArray(outF * inF, seed: 1, in: -3...3)
        for k in 0..<inF { raw[2 * inF + k] = 0 }  // a row of zeros: scale 0, values 0
        raw[4 * inF + 7] = -10  // a row whose largest magnitude is negative
        let bits = raw.map { UInt16($0.bitPattern >> 16) }
        for (weights, values) in [(Linear.Weights.float32(raw), raw), (.bfloat16(bits), bits.map { Float(bitPattern: UInt32($0) << 16) })] {
            let q = Int8Weights(quantizing: weights, outFeatures: outF, inFeatures: inF)
            for n in 0..<outF {
                let (expected, scale) = Self.quantize(values[n * inF..<(n + 1) * inF])
                #expect(q.values[n * inF..<(n + 1) * inF].map(Int32.init) == expected, "row \(n)")
                #expect(q.scales[n] == scale && q.sums[n] == expected.reduce(0, +), "row \(n)")
            }
            #expect(q.scales[2] == 0 && q.values[2 * inF..<3 * inF].allSatisfy { $0 == 0 })
            #expect(q.values[4 * inF + 7] == -127 && q.values.allSatisfy { $0 >= -127 })
            // Dequantized within half a step of the weights.
            let back = q.dequantized
            #expect((0..<raw.count).allSatisfy { abs(back[$0] - values[$0]) <= q.scales[$0 / inF] / 2 * 1.0001 })
        }
    }

    @Test(arguments: paths)
    func matchesNaiveLoopsExactly(path: SkinnyLinear.Path) {
        var seed: UInt64 = 500
        for (inF, outF) in Self.sizes {
            for rows in Self.rowCounts {
                for (withBias, accumulate) in [(false, false), (true, false), (false, true), (true, true)] {
                    seed += 4
                    let w = Int8Weights(quantizing: .float32(randomArray(inF * outF, seed: seed)), outFeatures: outF, inFeatures: inF)
                    let bias = withBias ? randomArray(outF, seed: seed + 1) : nil
                    var x = randomArray(rows * inF, seed: seed + 2, in: -5...5)
                    if rows > 2 { for k in 0..<inF { x[inF + k] = 0 } }  // a row of zeros: bias only
                    let y0 = randomArray(rows * outF, seed: seed + 3)
                    var y = (accumulate ? y0 : [Float](repeating: .nan, count: rows * outF)) + [7, 7]
                    let ran = Self.run(x, rows: rows, w, bias: bias, into: &y, accumulate: accumulate, path: path)
                    #expect(ran == path)
                    let expected = Self.naive(x, rows: rows, w, bias: bias, y0: accumulate ? y0 : nil)
                    #expect(Array(y.prefix(rows * outF)) == expected,
                            "in \(inF) out \(outF) rows \(rows) bias \(withBias) accumulate \(accumulate)")
                    #expect(y.suffix(2) == [7, 7], "in \(inF) out \(outF) rows \(rows): wrote past the output")
                }
            }
        }
    }

    /// Past 8 rows (L2-sized output blocks: 432 + 68 here), and past the kernel's stack buffer.
    @Test(arguments: paths)
    func manyRowsMatchNaiveLoops(path: SkinnyLinear.Path) {
        let (inF, outF) = (600, 500)
        let w = Int8Weights(quantizing: .float32(randomArray(inF * outF, seed: 1)), outFeatures: outF, inFeatures: inF)
        let bias = randomArray(outF, seed: 2)
        for rows in [9, 17, 60, 130] {
            let x = randomArray(rows * inF, seed: UInt64(rows))
            var y = [Float](repeating: .nan, count: rows * outF)
            _ = Self.run(x, rows: rows, w, bias: bias, into: &y, path: path)
            #expect(y == Self.naive(x, rows: rows, w, bias: bias, y0: nil), "rows \(rows)")
        }
    }

    @Test(arguments: paths)
    func outputRangesEqualTheFullCall(path: SkinnyLinear.Path) {
        let (inF, outF) = (130, 53)
        let w = Int8Weights(quantizing: .float32(randomArray(inF * outF, seed: 21)), outFeatures: outF, inFeatures: inF)
        for rows in [1, 5, 12] {
            let x = randomArray(rows * inF, seed: 22)
            var full = [Float](repeating: .nan, count: rows * outF)
            _ = Self.run(x, rows: rows, w, bias: nil, into: &full, path: path)
            var pieces = [Float](repeating: .nan, count: rows * outF)
            for range in [0..<24, 24..<25, 25..<53] {
                _ = Self.run(x, rows: rows, w, bias: nil, into: &pieces, outputs: range, path: path)
            }
            #expect(pieces == full, "rows \(rows)")
        }
    }

    /// Close to the f32 product: int8 costs about 1% of the output's spread on random data.
    @Test func approximatesTheF32Product() {
        let (inF, outF, rows) = (512, 64, 4)
        let raw = randomArray(inF * outF, seed: 31)
        let x = randomArray(rows * inF, seed: 32)
        var y = [Float](repeating: .nan, count: rows * outF)
        _ = Self.run(x, rows: rows, Int8Weights(quantizing: .float32(raw), outFeatures: outF, inFeatures: inF), bias: nil,
                     into: &y, path: .automatic)
        var (signal, noise) = (0.0, 0.0)
        for r in 0..<rows {
            for o in 0..<outF {
                var s = 0.0
                for i in 0..<inF { s += Double(x[r * inF + i]) * Double(raw[o * inF + i]) }
                signal += s * s
                noise += (Double(y[r * outF + o]) - s) * (Double(y[r * outF + o]) - s)
            }
        }
        #expect(10 * log10(signal / noise) > 30, "SNR \(10 * log10(signal / noise)) dB")
    }
}
