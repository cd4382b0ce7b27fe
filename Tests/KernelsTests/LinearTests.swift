import Testing
@testable import Kernels

struct LinearTests {
    static func naive(_ x: [Float], rows: Int, _ layer: Linear) -> [Double] {
        var out = [Double]()
        for r in 0..<rows {
            for o in 0..<layer.outFeatures {
                var s = Double(layer.bias?[o] ?? 0)
                for i in 0..<layer.inFeatures {
                    s += Double(x[r * layer.inFeatures + i]) * Double(layer.weight[o * layer.inFeatures + i])
                }
                out.append(s)
            }
        }
        return out
    }

    // Fewer than Linear.sgemmMinimumRows rows take the sgemv path, more take one sgemm.
    @Test(arguments: [(1, false), (1, true), (3, true), (5, false), (5, true)])
    func forwardMatchesNaive(rows: Int, withBias: Bool) {
        let (inF, outF) = (37, 23)
        let layer = Linear(weight: randomArray(inF * outF, seed: 1), bias: withBias ? randomArray(outF, seed: 2) : nil,
                           inFeatures: inF, outFeatures: outF)
        let x = randomArray(rows * inF, seed: 3)
        var y = [Float](repeating: .nan, count: rows * outF)
        y.withUnsafeMutableBufferPointer { layer.forward(x, rows: rows, into: $0.baseAddress!) }
        #expect(relativeError(y, Self.naive(x, rows: rows, layer)) < 1e-5)
    }

    @Test(arguments: [1, 2, 4])
    func accumulateAddsToOutput(rows: Int) {
        let (inF, outF) = (16, 8)
        let layer = Linear(weight: randomArray(inF * outF, seed: 4), bias: randomArray(outF, seed: 5),
                           inFeatures: inF, outFeatures: outF)
        let x = randomArray(rows * inF, seed: 6)
        let y0 = randomArray(rows * outF, seed: 7)
        var y = y0
        y.withUnsafeMutableBufferPointer { layer.forward(x, rows: rows, into: $0.baseAddress!, accumulate: true) }
        let expected = zip(Self.naive(x, rows: rows, layer), y0).map { $0 + Double($1) }
        #expect(relativeError(y, expected) < 1e-5)
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
