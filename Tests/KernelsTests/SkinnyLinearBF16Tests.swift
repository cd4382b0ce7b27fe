import Testing
@testable import Kernels

/// The bfloat16-products kernel (`Precision.bf16`) against naive loops on the same rounded values,
/// each path forced; and the portable path against the AVX512-BF16 one.
struct SkinnyLinearBF16Tests {
    /// Sizes around the 32-element steps (odd, one short, one past), and output counts around
    /// the blocks of 3, 4, 6 and 8 weight rows.
    static let sizes = [(inF: 1, outF: 1), (3, 5), (31, 9), (32, 16), (33, 7), (65, 23), (100, 29), (257, 3)]
    static let rowCounts = Array(1...9) + [17]

    /// The scalar path always, the AVX-512 and AVX2 ones where the CPU runs them.
    static var paths: [SkinnyLinear.Path] {
        [.scalar] + (SkinnyLinear.hasAVX512BF16 ? [.avx512] : []) + (SkinnyLinear.hasAVX2 ? [.avx2] : [])
    }

    /// Round to nearest even, subnormals to zero, NaN quieted: the rule the kernel documents.
    static func roundedBits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if bits & 0x7F80_0000 == 0 { return UInt16((bits >> 16) & 0x8000) }
        if x.isNaN { return UInt16(bits >> 16) | 0x0040 }
        return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    static func widened(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Σ bf16(x)·w + bias (+ y0) in Double.
    static func naive(_ x: [Float], rows: Int, _ w: [UInt16], inF: Int, outF: Int, bias: [Float]?, y0: [Float]?) -> [Double] {
        let xr = x.map { Double(widened(roundedBits($0))) }
        let wf = w.map { Double(widened($0)) }
        var out = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var s = Double(bias?[o] ?? 0) + Double(y0?[r * outF + o] ?? 0)
                for i in 0..<inF { s += xr[r * inF + i] * wf[o * inF + i] }
                out[r * outF + o] = s
            }
        }
        return out
    }

    static func weights(_ count: Int, seed: UInt64) -> [UInt16] { randomArray(count, seed: seed).map(roundedBits) }

    static func run(_ x: [Float], rows: Int, _ w: [UInt16], inF: Int, outF: Int, bias: [Float]?, into y: inout [Float],
                    accumulate: Bool = false, outputs: Range<Int>? = nil, path: SkinnyLinear.Path) -> SkinnyLinear.Path {
        y.withUnsafeMutableBufferPointer { yp in
            (bias ?? []).withUnsafeBufferPointer { b in
                SkinnyLinear.forwardBF16(x, rows: rows, inFeatures: inF, weight: w, outFeatures: outF,
                                         bias: bias == nil ? nil : b.baseAddress, into: yp.baseAddress!,
                                         accumulate: accumulate, outputs: outputs, path: path)
            }
        }
    }

    @Test(arguments: paths)
    func roundingMatchesTheRule(path: SkinnyLinear.Path) {
        let special: [Float] = [0, -0, 1, -1, 1.00390625, 1.01171875, 1.0078125, .infinity, -.infinity, .nan,
                                .greatestFiniteMagnitude, .leastNormalMagnitude, .leastNonzeroMagnitude,
                                -.leastNonzeroMagnitude, 3.3895314e38]
        let values = special + randomArray(1000, seed: 5, in: -1e3...1e3) + randomArray(77, seed: 6, in: -1e-30...1e-30)
        var bits = [UInt16](repeating: 0, count: values.count + 1)
        bits[values.count] = 0xBEEF
        let ran = bits.withUnsafeMutableBufferPointer { SkinnyLinear.round(values, toBFloat16: $0.baseAddress!, count: values.count, path: path) }
        #expect(ran == path)
        for (i, x) in values.enumerated() {
            if x.isNaN {
                #expect(Self.widened(bits[i]).isNaN)
            } else {
                #expect(bits[i] == Self.roundedBits(x), "\(x): \(bits[i]) vs \(Self.roundedBits(x))")
            }
        }
        #expect(bits[values.count] == 0xBEEF, "wrote past the end")
        // Ties to even: 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷ and goes to 1.
        #expect(Self.roundedBits(1.00390625) == 0x3F80 && Self.roundedBits(1.01171875) == 0x3F82)
    }

    @Test(arguments: paths)
    func matchesNaiveLoops(path: SkinnyLinear.Path) {
        var seed: UInt64 = 300
        for (inF, outF) in Self.sizes {
            for rows in Self.rowCounts {
                for (withBias, accumulate) in [(false, false), (true, false), (false, true), (true, true)] {
                    seed += 4
                    let w = Self.weights(inF * outF, seed: seed)
                    let bias = withBias ? randomArray(outF, seed: seed + 1) : nil
                    let x = randomArray(rows * inF, seed: seed + 2)
                    let y0 = randomArray(rows * outF, seed: seed + 3)
                    // Two guard elements past the end must stay untouched.
                    var y = (accumulate ? y0 : [Float](repeating: .nan, count: rows * outF)) + [7, 7]
                    let ran = Self.run(x, rows: rows, w, inF: inF, outF: outF, bias: bias, into: &y, accumulate: accumulate, path: path)
                    #expect(ran == path)
                    let expected = Self.naive(x, rows: rows, w, inF: inF, outF: outF, bias: bias, y0: accumulate ? y0 : nil)
                    let error = relativeError(Array(y.prefix(rows * outF)), expected)
                    #expect(error < 1e-5, "in \(inF) out \(outF) rows \(rows) bias \(withBias) accumulate \(accumulate): \(error)")
                    #expect(y.suffix(2) == [7, 7], "in \(inF) out \(outF) rows \(rows): wrote past the output")
                }
            }
        }
    }

    /// Past 8 rows: outputs in L2-sized blocks (256 KB of weights: 216 + 34 outputs here); 40
    /// rows of 600 bfloat16 (48 KB) and 60 (72 KB, past the kernel's stack buffer: a heap one).
    @Test(arguments: paths)
    func manyRowsMatchNaiveLoops(path: SkinnyLinear.Path) {
        let (inF, outF) = (600, 250)
        let w = Self.weights(inF * outF, seed: 1)
        let bias = randomArray(outF, seed: 2)
        for rows in [9, 17, 40, 60] {
            let x = randomArray(rows * inF, seed: UInt64(rows))
            var y = [Float](repeating: .nan, count: rows * outF)
            _ = Self.run(x, rows: rows, w, inF: inF, outF: outF, bias: bias, into: &y, path: path)
            let error = relativeError(y, Self.naive(x, rows: rows, w, inF: inF, outF: outF, bias: bias, y0: nil))
            #expect(error < 1e-5, "rows \(rows): \(error)")
        }
    }

    /// Ranges of outputs computed apart give exactly the full call's values.
    @Test(arguments: paths)
    func outputRangesEqualTheFullCall(path: SkinnyLinear.Path) {
        let (inF, outF) = (70, 53)
        let w = Self.weights(inF * outF, seed: 11)
        let bias = randomArray(outF, seed: 12)
        for rows in [1, 5, 12] {
            let x = randomArray(rows * inF, seed: 13)
            var full = [Float](repeating: .nan, count: rows * outF)
            _ = Self.run(x, rows: rows, w, inF: inF, outF: outF, bias: bias, into: &full, path: path)
            var pieces = [Float](repeating: .nan, count: rows * outF)
            for range in [0..<24, 24..<25, 25..<53] {
                _ = Self.run(x, rows: rows, w, inF: inF, outF: outF, bias: bias, into: &pieces, outputs: range, path: path)
            }
            #expect(pieces == full, "rows \(rows)")
        }
    }

    /// The portable C sums as Intel documents `vdpbf16ps` (and as `_mm512_reduce_add_ps` reduces):
    /// equal to float rounding (bit for bit on the Intel Xeon this was written on; other
    /// hardware may round the pair's two additions differently).
    @Test(.enabled(if: SkinnyLinear.hasAVX512BF16, "needs AVX512-BF16 to compare against")) func portablePathMatchesTheAVX512Path() throws {
        try #require(SkinnyLinear.hasAVX512BF16, "needs AVX512-BF16")
        var seed: UInt64 = 900
        for (inF, outF) in [(1, 3), (33, 17), (100, 29), (1024, 40), (4096, 9)] {
            for rows in [1, 3, 8, 11] {
                seed += 3
                let w = Self.weights(inF * outF, seed: seed)
                let x = randomArray(rows * inF, seed: seed + 1, in: -4...4)
                let bias = randomArray(outF, seed: seed + 2)
                var fast = [Float](repeating: .nan, count: rows * outF)
                var portable = fast
                _ = Self.run(x, rows: rows, w, inF: inF, outF: outF, bias: bias, into: &fast, path: .avx512)
                _ = Self.run(x, rows: rows, w, inF: inF, outF: outF, bias: bias, into: &portable, path: .scalar)
                let error = relativeError(portable, fast)
                #expect(error < 1e-6, "in \(inF) out \(outF) rows \(rows): \(error)")
            }
        }
    }
}
