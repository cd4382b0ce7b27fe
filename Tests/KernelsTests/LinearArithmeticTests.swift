import Testing
@testable import Kernels

/// `Linear` in each arithmetic: the weights it stores, and that `forward` (one thread or split
/// over a pool, any row count) gives exactly what its kernel gives.
struct LinearArithmeticTests {
    static let (inF, outF) = (75, 130)

    /// The kernel alone, on the calling thread.
    static func kernel(_ layer: Linear, _ x: [Float], rows: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: rows * layer.outFeatures)
        y.withUnsafeMutableBufferPointer { yp in
            (layer.bias ?? []).withUnsafeBufferPointer { b in
                switch layer.weights {
                case .bfloat16(let w):
                    SkinnyLinear.forwardBF16(x, rows: rows, inFeatures: layer.inFeatures, weight: w,
                                             outFeatures: layer.outFeatures, bias: b.baseAddress, into: yp.baseAddress!)
                case .int8(let q):
                    SkinnyLinear.forwardInt8(x, rows: rows, weight: q, bias: b.baseAddress, into: yp.baseAddress!)
                case .float32:
                    Issue.record("f32 weights in a reduced-arithmetic layer")
                }
            }
        }
        return y
    }

    @Test func capabilities() {
        #expect(Linear.Arithmetic.f32.isAccelerated)
        #expect(Linear.Arithmetic.bf16.isAccelerated == SkinnyLinear.hasAcceleratedBF16)
        #expect(Linear.Arithmetic.int8.isAccelerated == SkinnyLinear.hasAcceleratedInt8)
        #expect(SkinnyLinear.hasAcceleratedInt8 == (SkinnyLinear.hasAVX512VNNI || SkinnyLinear.hasAVX2))
    }

    @Test func eachArithmeticStoresItsWeights() {
        let raw = randomArray(Self.inF * Self.outF, seed: 1)
        let bits = raw.map { UInt16($0.bitPattern >> 16) }
        // f32 keeps what it is given.
        #expect(Linear(weights: .float32(raw), inFeatures: Self.inF, outFeatures: Self.outF).weights == .float32(raw))
        #expect(Linear(weights: .bfloat16(bits), inFeatures: Self.inF, outFeatures: Self.outF).weights == .bfloat16(bits))
        // bf16 rounds f32 weights to nearest even, keeps bfloat16 ones.
        let rounded = Linear(weights: .float32(raw), inFeatures: Self.inF, outFeatures: Self.outF, arithmetic: .bf16)
        #expect(rounded.weights == .bfloat16(raw.map(SkinnyLinearBF16Tests.roundedBits)) && rounded.arithmetic == .bf16)
        #expect(Linear(weights: .bfloat16(bits), inFeatures: Self.inF, outFeatures: Self.outF, arithmetic: .bf16).weights == .bfloat16(bits))
        // int8 quantizes either; `weight` is then the dequantized matrix.
        for weights in [Linear.Weights.float32(raw), .bfloat16(bits)] {
            let layer = Linear(weights: weights, inFeatures: Self.inF, outFeatures: Self.outF, arithmetic: .int8)
            let q = Int8Weights(quantizing: weights, outFeatures: Self.outF, inFeatures: Self.inF)
            #expect(layer.weights == .int8(q) && layer.weight == q.dequantized && layer.weights.count == raw.count)
        }
    }

    /// Steps (1, 8 rows), prompts split over a pool (20, 43), and past
    /// `Linear.sgemmMinimumRows` (70): the reduced arithmetics run their kernel at every count.
    @Test(arguments: [Linear.Arithmetic.bf16, .int8], [1, 8, 20, 43, 70])
    func forwardIsTheKernel(arithmetic: Linear.Arithmetic, rows: Int) {
        let layer = Linear(weights: .float32(randomArray(Self.inF * Self.outF, seed: 2)), bias: randomArray(Self.outF, seed: 3),
                           inFeatures: Self.inF, outFeatures: Self.outF, arithmetic: arithmetic)
        let x = randomArray(rows * Self.inF, seed: 4)
        let want = Self.kernel(layer, x, rows: rows).map(\.bitPattern)
        var y = [Float](repeating: .nan, count: rows * Self.outF)
        y.withUnsafeMutableBufferPointer { layer.forward(x, rows: rows, into: $0.baseAddress!) }
        #expect(y.map(\.bitPattern) == want)
        var split = [Float](repeating: .nan, count: rows * Self.outF)
        split.withUnsafeMutableBufferPointer { layer.forward(x, rows: rows, into: $0.baseAddress!, pool: WorkerPool()) }
        #expect(split.map(\.bitPattern) == want)
        // And close to the exact layer on the same weights.
        let exact = Linear(weights: .float32(layer.weight), bias: layer.bias, inFeatures: Self.inF, outFeatures: Self.outF)
        #expect(relativeError(y, LinearTests.naive(x, rows: rows, exact)) < (arithmetic == .bf16 ? 0.02 : 0.05))
    }
}
