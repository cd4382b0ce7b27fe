import Testing
@testable import Kernels

/// The CKernels linear kernels (each path forced) against naive loops: rows 1…9 (and a second
/// tile), sizes that are not multiples of 16, with and without bias, accumulate.
struct SkinnyLinearTests {
    enum WeightKind: CaseIterable { case float32, bfloat16 }

    static let sizes = [(inF: 1, outF: 1), (15, 9), (16, 16), (17, 3), (37, 23), (70, 29)]
    static let rowCounts = Array(1...9) + [17]

    /// Paths to check: the scalar one always, AVX-512 only where the CPU runs it.
    static var paths: [SkinnyLinear.Path] { SkinnyLinear.hasAVX512 ? [.scalar, .avx512] : [.scalar] }

    /// Truncates to bfloat16 bits (any bf16 values will do for a kernel test).
    static func bfloat16(_ values: [Float]) -> [UInt16] { values.map { UInt16($0.bitPattern >> 16) } }

    static func naive(_ x: [Float], rows: Int, _ w: [Float], inF: Int, outF: Int, bias: [Float]?, y0: [Float]?) -> [Double] {
        var out = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var s = Double(bias?[o] ?? 0) + Double(y0?[r * outF + o] ?? 0)
                for i in 0..<inF { s += Double(x[r * inF + i]) * Double(w[o * inF + i]) }
                out[r * outF + o] = s
            }
        }
        return out
    }

    @Test(arguments: paths, WeightKind.allCases)
    func matchesNaiveLoops(path: SkinnyLinear.Path, kind: WeightKind) {
        var seed: UInt64 = 100
        for (inF, outF) in Self.sizes {
            for rows in Self.rowCounts {
                for (withBias, accumulate) in [(false, false), (true, false), (false, true), (true, true)] {
                    seed += 4
                    let raw = randomArray(inF * outF, seed: seed)
                    let bits = Self.bfloat16(raw)
                    let w = kind == .float32 ? raw : bits.map { Float(bitPattern: UInt32($0) << 16) }
                    let bias = withBias ? randomArray(outF, seed: seed + 1) : nil
                    let x = randomArray(rows * inF, seed: seed + 2)
                    let y0 = randomArray(rows * outF, seed: seed + 3)
                    // Two guard elements past the end must stay untouched.
                    var y = (accumulate ? y0 : [Float](repeating: .nan, count: rows * outF)) + [7, 7]
                    let ran = y.withUnsafeMutableBufferPointer { yp in
                        (bias ?? []).withUnsafeBufferPointer { b -> SkinnyLinear.Path in
                            let bp = withBias ? b.baseAddress : nil
                            return switch kind {
                            case .float32:
                                SkinnyLinear.forward(x, rows: rows, inFeatures: inF, weight: w, outFeatures: outF,
                                                     bias: bp, into: yp.baseAddress!, accumulate: accumulate, path: path)
                            case .bfloat16:
                                SkinnyLinear.forward(x, rows: rows, inFeatures: inF, bfloat16Weight: bits, outFeatures: outF,
                                                     bias: bp, into: yp.baseAddress!, accumulate: accumulate, path: path)
                            }
                        }
                    }
                    #expect(ran == path)
                    let expected = Self.naive(x, rows: rows, w, inF: inF, outF: outF, bias: bias, y0: accumulate ? y0 : nil)
                    let error = relativeError(Array(y.prefix(rows * outF)), expected)
                    #expect(error < 1e-5, "in \(inF) out \(outF) rows \(rows) bias \(withBias) accumulate \(accumulate): \(error)")
                    #expect(y.suffix(2) == [7, 7], "in \(inF) out \(outF) rows \(rows): wrote past the output")
                }
            }
        }
    }

    /// Past 8 rows the AVX-512 kernels take the outputs in L2-sized blocks (256 KB of weights,
    /// a multiple of 24 rows): here 3 blocks for f32 (96 + 96 + 58), 2 for bfloat16 (216 + 34).
    @Test(arguments: paths, WeightKind.allCases)
    func blocksOfOutputsMatchNaiveLoops(path: SkinnyLinear.Path, kind: WeightKind) {
        let (inF, outF) = (600, 250)
        let raw = randomArray(inF * outF, seed: 1)
        let bits = Self.bfloat16(raw)
        let w = kind == .float32 ? raw : bits.map { Float(bitPattern: UInt32($0) << 16) }
        let bias = randomArray(outF, seed: 2)
        for rows in [9, 17] {
            let x = randomArray(rows * inF, seed: UInt64(rows))
            var y = [Float](repeating: .nan, count: rows * outF)
            y.withUnsafeMutableBufferPointer { yp in
                _ = switch kind {
                case .float32:
                    SkinnyLinear.forward(x, rows: rows, inFeatures: inF, weight: w, outFeatures: outF, bias: bias,
                                         into: yp.baseAddress!, path: path)
                case .bfloat16:
                    SkinnyLinear.forward(x, rows: rows, inFeatures: inF, bfloat16Weight: bits, outFeatures: outF, bias: bias,
                                         into: yp.baseAddress!, path: path)
                }
            }
            let expected = Self.naive(x, rows: rows, w, inF: inF, outF: outF, bias: bias, y0: nil)
            #expect(relativeError(y, expected) < 1e-5, "rows \(rows)")
        }
    }

    @Test(arguments: paths)
    func widenIsExact(path: SkinnyLinear.Path) {
        for count in [0, 1, 15, 16, 17, 100] {
            var bits = Self.bfloat16(randomArray(count, seed: UInt64(count), in: -1e6...1e6))
            if count >= 4 { bits[0...3] = [0x7F80, 0xFF80, 0x7FC0, 0x0001] }  // ±inf, NaN, subnormal
            var out = [Float](repeating: 7, count: count + 1)
            let ran = out.withUnsafeMutableBufferPointer { SkinnyLinear.widen(bfloat16: bits, into: $0.baseAddress!, count: count, path: path) }
            #expect(ran == path)
            #expect(out.prefix(count).map(\.bitPattern) == bits.map { UInt32($0) << 16 })
            #expect(out[count] == 7)
        }
    }

    @Test func automaticPathIsTheFastestSupported() {
        var y: [Float] = [0]
        let ran = SkinnyLinear.forward([1], rows: 1, inFeatures: 1, weight: [2], outFeatures: 1, bias: nil, into: &y)
        #expect(ran == (SkinnyLinear.hasAVX512 ? .avx512 : .scalar))
        #expect(y == [2])
        // Forcing AVX-512 never runs it on a CPU without it.
        let forced = SkinnyLinear.forward([1], rows: 1, inFeatures: 1, weight: [2], outFeatures: 1, bias: nil, into: &y, path: .avx512)
        #expect(forced == (SkinnyLinear.hasAVX512 ? .avx512 : .scalar))
    }
}
