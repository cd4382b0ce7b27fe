import Testing
@testable import Kernels

struct LinearTests {
    enum Storage: CaseIterable { case float32, bfloat16 }

    static func naive(_ x: [Float], rows: Int, _ layer: Linear) -> [Double] {
        let w = layer.weight
        var out = [Double]()
        for r in 0..<rows {
            for o in 0..<layer.outFeatures {
                var s = Double(layer.bias?[o] ?? 0)
                for i in 0..<layer.inFeatures {
                    s += Double(x[r * layer.inFeatures + i]) * Double(w[o * layer.inFeatures + i])
                }
                out.append(s)
            }
        }
        return out
    }

    static func layer(_ storage: Storage, inF: Int, outF: Int, bias: Bool, seed: UInt64) -> Linear {
        let w = randomArray(inF * outF, seed: seed)
        let weights: Linear.Weights = storage == .float32 ? .float32(w) : .bfloat16(w.map { UInt16($0.bitPattern >> 16) })
        return Linear(weights: weights, bias: bias ? randomArray(outF, seed: seed + 1) : nil, inFeatures: inF, outFeatures: outF)
    }

    // Below Linear.sgemmMinimumRows rows the CKernels path runs (with AVX-512), from it on
    // OpenBLAS (bfloat16: over widened blocks).
    @Test(arguments: Storage.allCases, [(1, false), (1, true), (3, true), (5, false), (9, true), (15, false), (63, true), (64, true), (70, false)])
    func forwardMatchesNaive(storage: Storage, rowsAndBias: (Int, Bool)) {
        let (rows, withBias) = rowsAndBias
        let layer = Self.layer(storage, inF: 37, outF: 23, bias: withBias, seed: 1)
        let x = randomArray(rows * 37, seed: 3)
        var y = [Float](repeating: .nan, count: rows * 23)
        y.withUnsafeMutableBufferPointer { layer.forward(x, rows: rows, into: $0.baseAddress!) }
        #expect(relativeError(y, Self.naive(x, rows: rows, layer)) < 1e-5)
    }

    @Test(arguments: Storage.allCases, [1, 2, 4, 8, 20, 64])
    func accumulateAddsToOutput(storage: Storage, rows: Int) {
        let layer = Self.layer(storage, inF: 16, outF: 8, bias: true, seed: 4)
        let x = randomArray(rows * 16, seed: 6)
        let y0 = randomArray(rows * 8, seed: 7)
        var y = y0
        y.withUnsafeMutableBufferPointer { layer.forward(x, rows: rows, into: $0.baseAddress!, accumulate: true) }
        let expected = zip(Self.naive(x, rows: rows, layer), y0).map { $0 + Double($1) }
        #expect(relativeError(y, expected) < 1e-5)
    }

    /// The widened-BLAS path (sgemv and sgemm) over several blocks of output rows (and a last
    /// partial one).
    @Test(arguments: [false, true], [2, 17])
    func bfloat16BLASWorksInBlocks(accumulate: Bool, rows: Int) {
        let layer = Self.layer(.bfloat16, inF: 19, outF: 30, bias: true, seed: 8)
        guard case .bfloat16(let bits) = layer.weights else { Issue.record("not bfloat16"); return }
        let x = randomArray(rows * 19, seed: 9)
        let y0 = randomArray(rows * 30, seed: 10)
        var y = accumulate ? y0 : [Float](repeating: .nan, count: rows * 30)
        y.withUnsafeMutableBufferPointer { yp in
            bits.withUnsafeBufferPointer { w in
                layer.widenedBLAS(x, rows: rows, bfloat16Weight: w.baseAddress!, into: yp.baseAddress!,
                            accumulate: accumulate, blockBytes: 7 * 19 * 4)  // blocks of 7 output rows
            }
        }
        let expected = zip(Self.naive(x, rows: rows, layer), y0).map { $0 + (accumulate ? Double($1) : 0) }
        #expect(relativeError(y, expected) < 1e-5)
    }

    @Test func bfloat16WeightsWidenExactly() {
        let layer = Linear(weights: .bfloat16([0x3F80, 0xC000, 0x7F80, 0x0001]), inFeatures: 2, outFeatures: 2)
        #expect(layer.weight == [1, -2, .infinity, Float(bitPattern: 0x0001_0000)])
        #expect(layer.weights.count == 4)
        #expect(Linear(weight: [1, 2], inFeatures: 2, outFeatures: 1).weights == .float32([1, 2]))
    }

    @Test func tensorWrapperWorksOnLastDimension() {
        let weight = Tensor.random([6, 4], seed: 8)
        let bias = Tensor.random([6], seed: 9)
        let layer = Linear(weight: weight, bias: bias)
        #expect(layer.inFeatures == 4 && layer.outFeatures == 6)
        let x = Tensor.random([2, 3, 4], seed: 10)
        let y = layer(x)
        #expect(y.shape == [2, 3, 6])
        #expect(relativeError(y.data, Self.naive(x.data, rows: 6, layer)) < 1e-5)
    }
}

extension LinearTests {
    @Test func emptyInputsGiveEmptyOutputs() {
        let layer = Linear(weight: Tensor.random([3, 2], seed: 11))
        #expect(layer(Tensor.zeros([0, 2])).shape == [0, 3])
        #expect(LayerNorm(dim: 2)(Tensor.zeros([0, 2])).shape == [0, 2])
        #expect(RMSNormUnbiased(dim: 2)(Tensor.zeros([0, 2])).shape == [0, 2])
        #expect(RoPE(headDim: 2)(Tensor.zeros([0, 1, 2]), offset: 3).shape == [0, 1, 2])
    }
}
