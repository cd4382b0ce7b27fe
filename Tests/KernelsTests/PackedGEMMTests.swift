import Testing
@testable import Kernels

/// The packed GEMMs (Mimi's decoder under `Precision.bf16` / `.int8`), bfloat16 and f32 products,
/// against naive loops on the same (rounded) values, each path forced (int8 products:
/// PackedGEMMInt8Tests); for all three the portable path bit for bit against the AVX-512 one, and
/// every column the same bits whatever else shares the call.
struct PackedGEMMTests {
    typealias Products = PackedWeights.Products
    static let products: [Products] = [.bfloat16, .float32, .int8]
    static var paths: [SkinnyLinear.Path] { SkinnyLinear.hasAVX512 ? [.scalar, .avx512] : [.scalar] }

    /// The value the kernel multiplies: rounded to bfloat16 for bfloat16 products.
    static func operand(_ x: Float, _ products: Products) -> Double {
        products == .float32 ? Double(x)
            : Double(SkinnyLinearBF16Tests.widened(SkinnyLinearBF16Tests.roundedBits(x)))
    }

    /// C = W[m, k] · X (+ bias, + C0) computed by the kernel; X[k, n] read as the packing's
    /// (taps, channelStride, tapStride, columnStride) say.
    static func run(
        _ products: Products, w: [Float], m: Int, k: Int, x: [Float], columns n: Int, taps: Int = 1, channelStride: Int,
        tapStride: Int = 0, columnStride: Int = 1, bias: [Float]? = nil, c0: [Float]? = nil, path: SkinnyLinear.Path
    ) -> [Float] {
        let weights = PackedWeights(products, weights: w, rows: m, depth: k)
        let ldp = PackedWeights.stride(columns: n) + 16  // wider than needed: any stride works
        var packed = [UInt32](repeating: 0xFFFF_FFFF, count: weights.activationWords(stride: ldp))
        var c = c0 ?? [Float](repeating: .nan, count: m * n)
        x.withUnsafeBufferPointer { xp in
            packed.withUnsafeMutableBufferPointer { p in
                weights.pack(xp.baseAddress!, columns: n, taps: taps, channelStride: channelStride, tapStride: tapStride,
                             columnStride: columnStride, into: p.baseAddress!, stride: ldp, path: path)
                c.withUnsafeMutableBufferPointer { cp in
                    (bias ?? [0]).withUnsafeBufferPointer { b in
                        weights.multiply(p.baseAddress!, columns: n, stride: ldp, bias: bias == nil ? nil : b.baseAddress,
                                         into: cp.baseAddress!, ldc: n, accumulate: c0 != nil, path: path)
                    }
                }
            }
        }
        return c
    }

    /// Shapes around the 8-row panels, the pairs of k and the 16/32/48-column tiles and blocks.
    static let shapes: [(m: Int, k: Int, n: Int)] = [
        (1, 1, 1), (3, 5, 7), (8, 2, 16), (9, 33, 17), (17, 64, 33), (30, 7, 50), (64, 96, 300),
    ]

    @Test(arguments: [Products.bfloat16, .float32], paths)
    func matrixMatchesNaiveLoops(products: Products, path: SkinnyLinear.Path) {
        for (i, s) in Self.shapes.enumerated() {
            let w = randomArray(s.m * s.k, seed: UInt64(i), in: -1...1)
            let x = randomArray(s.k * s.n, seed: UInt64(100 + i), in: -2...2)
            let bias = i % 2 == 0 ? randomArray(s.m, seed: UInt64(200 + i)) : nil
            let c0 = i % 3 == 0 ? randomArray(s.m * s.n, seed: UInt64(300 + i)) : nil
            let c = Self.run(products, w: w, m: s.m, k: s.k, x: x, columns: s.n, channelStride: s.n, bias: bias, c0: c0,
                             path: path)
            for r in 0..<s.m {
                for j in 0..<s.n {
                    var want = Double(bias?[r] ?? 0) + Double(c0?[r * s.n + j] ?? 0)
                    var scale = abs(want)
                    for q in 0..<s.k {
                        let p = Self.operand(w[r * s.k + q], products) * Self.operand(x[q * s.n + j], products)
                        want += p
                        scale += abs(p)
                    }
                    #expect(abs(Double(c[r * s.n + j]) - want) <= 1e-6 * max(1, scale), "shape \(s) at \(r), \(j)")
                }
            }
        }
    }

    /// The im2col packing of a dilated conv, and rows [n, k] given transposed, match plain matrices.
    @Test(arguments: products, paths)
    func convolutionAndRowPackingsMatchTheMatrix(products: Products, path: SkinnyLinear.Path) {
        let (cin, taps, dilation, m, length) = (5, 3, 2, 11, 40)
        let (k, n) = (cin * taps, length - dilation * (taps - 1))
        let x = randomArray(cin * length, seed: 7, in: -1...1)
        let w = randomArray(m * k, seed: 8, in: -1...1)
        var im2col = [Float](repeating: 0, count: k * n)
        for c in 0..<cin { for t in 0..<taps { for j in 0..<n { im2col[(c * taps + t) * n + j] = x[c * length + t * dilation + j] } } }
        let want = Self.run(products, w: w, m: m, k: k, x: im2col, columns: n, channelStride: n, path: path)
        let conv = Self.run(products, w: w, m: m, k: k, x: x, columns: n, taps: taps, channelStride: length,
                            tapStride: dilation, path: path)
        #expect(conv.map(\.bitPattern) == want.map(\.bitPattern))
        var rows = [Float](repeating: 0, count: n * k)  // x[j, q] at j·k + q
        for q in 0..<k { for j in 0..<n { rows[j * k + q] = im2col[q * n + j] } }
        let transposed = Self.run(products, w: w, m: m, k: k, x: rows, columns: n, channelStride: 1, columnStride: k, path: path)
        #expect(transposed.map(\.bitPattern) == want.map(\.bitPattern))
    }

    /// The portable C code gives the AVX-512 code's bits (bfloat16 products: where AVX512-BF16 runs).
    @Test(arguments: products)
    func portablePathEqualsAVX512(products: Products) {
        let accelerated = switch products {
        case .float32: SkinnyLinear.hasAVX512
        case .bfloat16: PackedWeights.hasAcceleratedBFloat16
        case .int8: PackedWeights.hasAcceleratedInt8
        }
        guard accelerated else { return }
        let (m, k, n) = (19, 77, 45)
        let w = randomArray(m * k, seed: 1, in: -1...1)
        let x = randomArray(k * n, seed: 2, in: -3...3)
        let bias = randomArray(m, seed: 3)
        let a = Self.run(products, w: w, m: m, k: k, x: x, columns: n, channelStride: n, bias: bias, path: .scalar)
        let b = Self.run(products, w: w, m: m, k: k, x: x, columns: n, channelStride: n, bias: bias, path: .avx512)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    }

    /// A block of columns gives the same bits alone as inside any wider call, at any offset
    /// (what makes Mimi's cross-stream batching bit for bit).
    @Test(arguments: products, paths)
    func columnsAreIndependentOfTheirNeighbours(products: Products, path: SkinnyLinear.Path) {
        let (m, k, wide) = (13, 150, 300)
        let w = randomArray(m * k, seed: 4, in: -1...1)
        let x = randomArray(k * wide, seed: 5, in: -2...2)
        let all = Self.run(products, w: w, m: m, k: k, x: x, columns: wide, channelStride: wide, path: path)
        for (offset, width) in [(0, 1), (5, 16), (17, 31), (100, 40), (250, 50)] {
            var part = [Float](repeating: 0, count: k * width)
            for q in 0..<k { for j in 0..<width { part[q * width + j] = x[q * wide + offset + j] } }
            let alone = Self.run(products, w: w, m: m, k: k, x: part, columns: width, channelStride: width, path: path)
            for r in 0..<m {
                #expect(alone[(r * width)..<(r * width + width)].map(\.bitPattern)
                        == all[(r * wide + offset)..<(r * wide + offset + width)].map(\.bitPattern), "offset \(offset), row \(r)")
            }
        }
    }

    /// C stored transposed (ldc 1, columnStride m), accumulating and with a bias: the same bits
    /// as the row-major C, transposed.
    @Test(arguments: products, paths)
    func transposedStoreMatchesRowMajor(products: Products, path: SkinnyLinear.Path) {
        let (m, k, n) = (21, 40, 37)
        let w = randomArray(m * k, seed: 11, in: -1...1)
        let x = randomArray(k * n, seed: 12, in: -1...1)
        let bias = randomArray(m, seed: 13)
        let c0 = randomArray(m * n, seed: 14)
        let want = Self.run(products, w: w, m: m, k: k, x: x, columns: n, channelStride: n, bias: bias, c0: c0, path: path)
        let weights = PackedWeights(products, weights: w, rows: m, depth: k)
        let ldp = PackedWeights.stride(columns: n)
        var packed = [UInt32](repeating: 0, count: weights.activationWords(stride: ldp))
        var c = (0..<(n * m)).map { c0[($0 % m) * n + $0 / m] }  // c0ᵀ [n, m]
        x.withUnsafeBufferPointer { xp in
            packed.withUnsafeMutableBufferPointer { p in
                weights.pack(xp.baseAddress!, columns: n, channelStride: n, into: p.baseAddress!, stride: ldp, path: path)
                c.withUnsafeMutableBufferPointer { cp in
                    weights.multiply(p.baseAddress!, columns: n, stride: ldp, bias: bias, into: cp.baseAddress!, ldc: 1,
                                     columnStride: m, accumulate: true, path: path)
                }
            }
        }
        #expect((0..<(n * m)).allSatisfy { c[$0].bitPattern == want[($0 % m) * n + $0 / m].bitPattern })
    }

    /// One f32 row straight from a conv's input (`multiplyRow`, SEANet's output conv) gives the
    /// bits of the im2col packing + the GEMM, with and without a bias, on every path.
    @Test(arguments: paths)
    func oneRowStraightFromTheInputEqualsPackAndMultiply(path: SkinnyLinear.Path) {
        let (cin, taps, dilation) = (7, 3, 2)
        for n in [1, 15, 64, 100, 200] {
            let length = n + dilation * (taps - 1)
            let x = randomArray(cin * length, seed: UInt64(n), in: -2...2)
            let w = randomArray(cin * taps, seed: 40, in: -1...1)
            for bias in [nil, [Float(0.25)]] {
                let want = Self.run(.float32, w: w, m: 1, k: cin * taps, x: x, columns: n, taps: taps, channelStride: length,
                                    tapStride: dilation, bias: bias, path: path)
                let weights = PackedWeights(.float32, weights: w, rows: 1, depth: cin * taps)
                var got = [Float](repeating: .nan, count: n)
                x.withUnsafeBufferPointer { xp in
                    got.withUnsafeMutableBufferPointer { y in
                        (bias ?? [0]).withUnsafeBufferPointer { b in
                            weights.multiplyRow(xp.baseAddress!, columns: n, taps: taps, channelStride: length,
                                                tapStride: dilation, bias: bias == nil ? nil : b.baseAddress,
                                                into: y.baseAddress!, path: path)
                        }
                    }
                }
                #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "n \(n)")
            }
        }
    }
}
