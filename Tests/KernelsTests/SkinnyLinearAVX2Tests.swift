import Testing
@testable import Kernels

/// The AVX2 code of the reduced-precision kernels (CPUs without AVX-512) against the portable C
/// code, on the widths of the full and tiny models (multiples of 32 and not: partial steps) and
/// row counts across the 4-row tiles: int8 the same outputs bit for bit (exact int32 sums, no
/// `vpmaddubsw` saturation), bf16 the same sums in the same order, so bit for bit as well on data
/// whose products stay within f32's normal range.
@Suite(.enabled(if: SkinnyLinear.hasAVX2, "needs AVX2 + FMA"))
struct SkinnyLinearAVX2Tests {
    /// (in, out): tiny-model widths (d_model 112, 4·112, ...), a few odd ones, full-size ones.
    static let shapes = [(inF: 1, outF: 3), (17, 9), (112, 336), (448, 112), (200, 29), (1024, 40), (4096, 9)]
    static let rowCounts = [1, 2, 3, 4, 5, 7, 8, 9, 13]

    /// Runs `body` on both paths into fresh outputs (NaN, or y0 when accumulating) and returns them.
    static func both(rows: Int, outF: Int, y0: [Float]?,
                     _ body: (UnsafeMutablePointer<Float>, SkinnyLinear.Path) -> SkinnyLinear.Path) -> ([Float], [Float]) {
        var outputs: [[Float]] = []
        for path in [SkinnyLinear.Path.scalar, .avx2] {
            var y = y0 ?? [Float](repeating: .nan, count: rows * outF)
            let ran = y.withUnsafeMutableBufferPointer { body($0.baseAddress!, path) }
            #expect(ran == path)
            outputs.append(y)
        }
        return (outputs[0], outputs[1])
    }

    @Test func int8MatchesThePortableCodeBitForBit() {
        var seed: UInt64 = 2000
        for (inF, outF) in Self.shapes {
            seed += 10
            // Weights with the largest magnitudes (±127 after quantization) in every row, and
            // activations whose quantized values reach ±127 too: the sums furthest from zero.
            let w = Int8Weights(quantizing: .float32(randomArray(inF * outF, seed: seed)), outFeatures: outF, inFeatures: inF)
            let bias = randomArray(outF, seed: seed + 1)
            for rows in Self.rowCounts {
                var x = randomArray(rows * inF, seed: seed + UInt64(rows), in: -3...3)
                if rows > 1 { for k in 0..<inF { x[inF + k] = k % 2 == 0 ? 3 : -3 } }  // all ±127
                for accumulate in [false, true] {
                    let y0 = accumulate ? randomArray(rows * outF, seed: seed + 7) : nil
                    let (portable, fast) = Self.both(rows: rows, outF: outF, y0: y0) { y, path in
                        bias.withUnsafeBufferPointer {
                            SkinnyLinear.forwardInt8(x, rows: rows, weight: w, bias: $0.baseAddress, into: y,
                                                     accumulate: accumulate, path: path)
                        }
                    }
                    #expect(portable == fast, "in \(inF) out \(outF) rows \(rows) accumulate \(accumulate)")
                }
            }
        }
    }

    /// Weights of one sign and activations of one sign, all at ±127: every `vpmaddubsw` pair at
    /// its largest, 2 · 127 · 127 = 32 258, below int16's 32 767.
    @Test func int8ExtremePairsDoNotSaturate() {
        let (inF, outF, rows) = (96, 4, 2)
        let values = (0..<outF * inF).map { Int8($0 / inF % 2 == 0 ? 127 : -127) }
        let w = Int8Weights(values: values, scales: [1, 1, 1, 1], sums: (0..<outF).map { $0 % 2 == 0 ? 127 * 96 : -127 * 96 },
                            outFeatures: outF, inFeatures: inF)
        let x = (0..<rows * inF).map { Float($0 < inF ? 1 : -1) }
        let (portable, fast) = Self.both(rows: rows, outF: outF, y0: nil) { y, path in
            SkinnyLinear.forwardInt8(x, rows: rows, weight: w, bias: nil, into: y, path: path)
        }
        // x quantizes to ±127 with scale 1/127: each output ±127 · inF.
        #expect(portable.map { ($0 / Float(127 * inF)).rounded() } == [1, -1, 1, -1, -1, 1, -1, 1])
        #expect(fast == portable)
    }

    @Test func bf16MatchesThePortableCodeBitForBit() {
        var seed: UInt64 = 3000
        for (inF, outF) in Self.shapes {
            seed += 10
            var w = randomArray(inF * outF, seed: seed).map(SkinnyLinearBF16Tests.roundedBits)
            // Subnormal and signed-zero weights: read as +0 on both paths.
            for (i, bits) in [0x0012, 0x8003, 0x8000, 0x0000].enumerated() where i < w.count { w[(i * 7) % w.count] = UInt16(bits) }
            let bias = randomArray(outF, seed: seed + 1)
            for rows in Self.rowCounts {
                let x = randomArray(rows * inF, seed: seed + UInt64(rows), in: -4...4)
                for accumulate in [false, true] {
                    let y0 = accumulate ? randomArray(rows * outF, seed: seed + 7) : nil
                    let (portable, fast) = Self.both(rows: rows, outF: outF, y0: y0) { y, path in
                        bias.withUnsafeBufferPointer {
                            SkinnyLinear.forwardBF16(x, rows: rows, inFeatures: inF, weight: w, outFeatures: outF,
                                                     bias: $0.baseAddress, into: y, accumulate: accumulate, path: path)
                        }
                    }
                    #expect(portable == fast, "in \(inF) out \(outF) rows \(rows) accumulate \(accumulate)")
                }
            }
        }
    }

    /// Output ranges (as LinearWorker splits them) equal the full call, on the AVX2 path.
    @Test func outputRangesEqualTheFullCall() {
        let (inF, outF, rows) = (112, 53, 6)
        let x = randomArray(rows * inF, seed: 41)
        let w = randomArray(inF * outF, seed: 42)
        let q = Int8Weights(quantizing: .float32(w), outFeatures: outF, inFeatures: inF)
        let bits = w.map(SkinnyLinearBF16Tests.roundedBits)
        for int8 in [true, false] {
            func run(_ outputs: Range<Int>?, into y: inout [Float]) {
                y.withUnsafeMutableBufferPointer { yp in
                    _ = int8 ? SkinnyLinear.forwardInt8(x, rows: rows, weight: q, bias: nil, into: yp.baseAddress!, outputs: outputs, path: .avx2)
                        : SkinnyLinear.forwardBF16(x, rows: rows, inFeatures: inF, weight: bits, outFeatures: outF, bias: nil,
                                                   into: yp.baseAddress!, outputs: outputs, path: .avx2)
                }
            }
            var full = [Float](repeating: .nan, count: rows * outF)
            run(nil, into: &full)
            var pieces = [Float](repeating: .nan, count: rows * outF)
            for range in [0..<24, 24..<25, 25..<53] { run(range, into: &pieces) }
            #expect(pieces == full, "int8 \(int8)")
        }
    }

    @Test func automaticPathIsTheBestTheCPURuns() {
        let x: [Float] = [1, 2, 3]
        var y: [Float] = [0]
        let q = Int8Weights(quantizing: .float32([1, 1, 1]), outFeatures: 1, inFeatures: 3)
        let ran = SkinnyLinear.forwardInt8(x, rows: 1, weight: q, bias: nil, into: &y)
        #expect(ran == (SkinnyLinear.hasAVX512VNNI ? .avx512 : .avx2))
        #expect(SkinnyLinear.hasAcceleratedInt8 && SkinnyLinear.hasAcceleratedBF16)
    }
}
