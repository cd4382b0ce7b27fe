import Testing
@testable import Kernels

/// The bfloat16-products GEMM (Mimi under `Precision.bf16` / `.int8`) against naive loops on the
/// same rounded values, each path forced; the portable path bit for bit against the AVX512-BF16
/// one; and every column the same bits whatever else shares the call.
struct BFloat16GEMMTests {
    static var paths: [SkinnyLinear.Path] { BFloat16GEMM.isAccelerated ? [.scalar, .avx512] : [.scalar] }
    static func bf16(_ x: Float) -> Double { Double(SkinnyLinearBF16Tests.widened(SkinnyLinearBF16Tests.roundedBits(x))) }

    /// C = W[m, k] · im2col(x) (+ bias, + C0) computed by the kernel, for a conv over x[C, L]
    /// (taps, dilation) or a plain matrix (taps 1).
    static func run(
        w: [Float], m: Int, k: Int, x: [Float], columns n: Int, taps: Int, channelStride: Int, tapStride: Int,
        columnStride: Int = 1, bias: [Float]?, c0: [Float]?, path: SkinnyLinear.Path
    ) -> [Float] {
        let panels = BFloat16Panels(weights: w, rows: m, depth: k)
        let ldp = BFloat16GEMM.stride(columns: n) + 16  // wider than needed: any stride works
        var packed = [UInt32](repeating: 0xFFFF_FFFF, count: BFloat16GEMM.wordCount(depth: k, stride: ldp))
        var c = c0 ?? [Float](repeating: .nan, count: m * n)
        x.withUnsafeBufferPointer { xp in
            packed.withUnsafeMutableBufferPointer { p in
                BFloat16GEMM.pack(xp.baseAddress!, depth: k, columns: n, taps: taps, channelStride: channelStride,
                                  tapStride: tapStride, columnStride: columnStride, into: p.baseAddress!, stride: ldp, path: path)
                c.withUnsafeMutableBufferPointer { cp in
                    (bias ?? [0]).withUnsafeBufferPointer { b in
                        panels.multiply(p.baseAddress!, columns: n, stride: ldp, bias: bias == nil ? nil : b.baseAddress,
                                        into: cp.baseAddress!, ldc: n, accumulate: c0 != nil, path: path)
                    }
                }
            }
        }
        return c
    }

    /// Shapes around the 8-row panels, the pairs of k and the 16/32-column tiles.
    static let shapes: [(m: Int, k: Int, n: Int)] = [(1, 1, 1), (3, 5, 7), (8, 2, 16), (9, 33, 17), (17, 64, 33), (30, 7, 50), (64, 96, 300)]

    @Test(arguments: paths)
    func matrixMatchesNaiveLoops(path: SkinnyLinear.Path) {
        for (i, s) in Self.shapes.enumerated() {
            let w = randomArray(s.m * s.k, seed: UInt64(i), in: -1...1)
            let x = randomArray(s.k * s.n, seed: UInt64(100 + i), in: -2...2)
            let bias = i % 2 == 0 ? randomArray(s.m, seed: UInt64(200 + i)) : nil
            let c0 = i % 3 == 0 ? randomArray(s.m * s.n, seed: UInt64(300 + i)) : nil
            let c = Self.run(w: w, m: s.m, k: s.k, x: x, columns: s.n, taps: 1, channelStride: s.n, tapStride: 0,
                             bias: bias, c0: c0, path: path)
            for r in 0..<s.m {
                for j in 0..<s.n {
                    var want = Double(bias?[r] ?? 0) + Double(c0?[r * s.n + j] ?? 0)
                    var scale = abs(want)
                    for q in 0..<s.k {
                        let p = Self.bf16(w[r * s.k + q]) * Self.bf16(x[q * s.n + j])
                        want += p
                        scale += abs(p)
                    }
                    #expect(abs(Double(c[r * s.n + j]) - want) <= 1e-6 * max(1, scale), "shape \(s) at \(r), \(j)")
                }
            }
        }
    }

    /// The im2col packing of a dilated conv, and rows [n, k] given transposed, match plain matrices.
    @Test(arguments: paths)
    func convolutionAndRowPackingsMatchTheMatrix(path: SkinnyLinear.Path) {
        let (cin, taps, dilation, m, length) = (5, 3, 2, 11, 40)
        let n = length - dilation * (taps - 1)
        let x = randomArray(cin * length, seed: 7, in: -1...1)
        let w = randomArray(m * cin * taps, seed: 8, in: -1...1)
        var im2col = [Float](repeating: 0, count: cin * taps * n)
        for c in 0..<cin { for t in 0..<taps { for j in 0..<n { im2col[(c * taps + t) * n + j] = x[c * length + t * dilation + j] } } }
        let want = Self.run(w: w, m: m, k: cin * taps, x: im2col, columns: n, taps: 1, channelStride: n, tapStride: 0,
                            bias: nil, c0: nil, path: path)
        let conv = Self.run(w: w, m: m, k: cin * taps, x: x, columns: n, taps: taps, channelStride: length,
                            tapStride: dilation, bias: nil, c0: nil, path: path)
        #expect(conv == want)
        // Rows [n, k]: x[j, q] at j·k + q.
        var rows = [Float](repeating: 0, count: n * cin * taps)
        for q in 0..<(cin * taps) { for j in 0..<n { rows[j * cin * taps + q] = im2col[q * n + j] } }
        let transposed = Self.run(w: w, m: m, k: cin * taps, x: rows, columns: n, taps: 1, channelStride: 1, tapStride: 0,
                                  columnStride: cin * taps, bias: nil, c0: nil, path: path)
        #expect(transposed == want)
    }

    /// The portable C code gives the AVX512-BF16 code's bits.
    @Test(.enabled(if: BFloat16GEMM.isAccelerated))
    func portablePathEqualsAVX512() {
        let (m, k, n) = (19, 77, 45)
        let w = randomArray(m * k, seed: 1, in: -1...1)
        let x = randomArray(k * n, seed: 2, in: -3...3)
        let bias = randomArray(m, seed: 3)
        let a = Self.run(w: w, m: m, k: k, x: x, columns: n, taps: 1, channelStride: n, tapStride: 0, bias: bias, c0: nil,
                         path: .scalar)
        let b = Self.run(w: w, m: m, k: k, x: x, columns: n, taps: 1, channelStride: n, tapStride: 0, bias: bias, c0: nil,
                         path: .avx512)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    }

    /// A block of columns gives the same bits alone as inside any wider call, at any offset
    /// (what makes Mimi's cross-stream batching bit for bit).
    @Test(arguments: paths)
    func columnsAreIndependentOfTheirNeighbours(path: SkinnyLinear.Path) {
        let (m, k) = (13, 150)
        let w = randomArray(m * k, seed: 4, in: -1...1)
        let wide = 300
        let x = randomArray(k * wide, seed: 5, in: -2...2)
        let all = Self.run(w: w, m: m, k: k, x: x, columns: wide, taps: 1, channelStride: wide, tapStride: 0, bias: nil,
                           c0: nil, path: path)
        for (offset, width) in [(0, 1), (5, 16), (17, 31), (100, 40), (263, 37)] {
            var part = [Float](repeating: 0, count: k * width)
            for q in 0..<k { for j in 0..<width { part[q * width + j] = x[q * wide + offset + j] } }
            let alone = Self.run(w: w, m: m, k: k, x: part, columns: width, taps: 1, channelStride: width, tapStride: 0,
                                 bias: nil, c0: nil, path: path)
            for r in 0..<m {
                #expect(alone[(r * width)..<(r * width + width)].map(\.bitPattern)
                        == all[(r * wide + offset)..<(r * wide + offset + width)].map(\.bitPattern), "offset \(offset), row \(r)")
            }
        }
    }
}
