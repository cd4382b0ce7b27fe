import Foundation
import Testing
@testable import Kernels

struct RoPETests {
    /// Naive rotation in Double, using the kernel's own float32 frequencies and float32 angles
    /// (the precision the reference uses), so only the rotation arithmetic is checked here.
    static func naive(_ x: [Float], T: Int, H: Int, D: Int, offset: Int, rope: RoPE) -> [Double] {
        var out = x.map(Double.init)
        for t in 0..<T {
            for h in 0..<H {
                for i in 0..<(D / 2) {
                    let angle = Double(rope.frequencies[i] * Float(offset + t))
                    let base = (t * H + h) * D + 2 * i
                    let (re, im) = (Double(x[base]), Double(x[base + 1]))
                    out[base] = re * cos(angle) - im * sin(angle)
                    out[base + 1] = re * sin(angle) + im * cos(angle)
                }
            }
        }
        return out
    }

    @Test func frequenciesFollowTheFormula() {
        let rope = RoPE(headDim: 64)
        #expect(rope.frequencies.count == 32 && rope.frequencies[0] == 1)
        for i in 0..<32 {
            let exact = pow(10_000.0, -2.0 * Double(i) / 64)
            #expect(abs(Double(rope.frequencies[i]) - exact) / exact < 1e-6)
        }
    }

    @Test func frequenciesMatchTorchWithinOneULP() throws {
        let fixture = try KernelFixture.load()
        let rope = RoPE(headDim: 64)
        #expect(fixture.ropeFrequencies64.count == 32)
        for (mine, torch) in zip(rope.frequencies, fixture.ropeFrequencies64) {
            #expect(abs(mine - torch) <= torch.ulp, "\(mine) vs \(torch)")
        }
    }

    @Test(arguments: [0, 3, 517])
    func applyMatchesNaive(offset: Int) {
        let (T, H, D) = (5, 3, 16)
        let rope = RoPE(headDim: D)
        let x = Tensor.random([T, H, D], seed: UInt64(offset) + 1)
        let y = rope(x, offset: offset)
        #expect(relativeError(y.data, Self.naive(x.data, T: T, H: H, D: D, offset: offset, rope: rope)) < 1e-6)
        if offset > 0 { #expect(Tensor.maxAbsDifference(y, rope(x, offset: 0)) > 1e-3) }
    }

    @Test func chunksEqualOneCall() {
        // Positions are absolute: rotating [0, 7) then [7, 12) equals rotating [0, 12).
        let rope = RoPE(headDim: 8)
        let x = Tensor.random([12, 2, 8], seed: 9)
        let whole = rope(x, offset: 0)
        let first = rope(Tensor(shape: [7, 2, 8], data: Array(x.data[0..<112])), offset: 0)
        let second = rope(Tensor(shape: [5, 2, 8], data: Array(x.data[112...])), offset: 7)
        #expect(first.data + second.data == whole.data)
    }

    @Test func rowStrideRotatesInsidePackedBuffer() {
        // [T, 3, H, D] packed q|k|v: rotate q and k in place, v untouched.
        let (T, H, D) = (4, 2, 8)
        let rope = RoPE(headDim: D)
        let packed = Tensor.random([T, 3, H, D], seed: 10)
        var buffer = packed.data
        buffer.withUnsafeMutableBufferPointer { p in
            rope.apply(p.baseAddress!, count: T, heads: H, offset: 2, rowStride: 3 * H * D)
            rope.apply(p.baseAddress! + H * D, count: T, heads: H, offset: 2, rowStride: 3 * H * D)
        }
        for part in 0..<3 {
            var original = [Float](), rotated = [Float]()
            for t in 0..<T {
                let start = (t * 3 + part) * H * D
                original += packed.data[start..<(start + H * D)]
                rotated += buffer[start..<(start + H * D)]
            }
            let expected = part == 2 ? original : rope(Tensor(shape: [T, H, D], data: original), offset: 2).data
            #expect(rotated == expected, "part \(part)")
        }
    }

    @Test func matchesReference() throws {
        let fixture = try KernelFixture.load()
        #expect(fixture.rope.count == 3)
        for c in fixture.rope {
            let y = RoPE(headDim: c.D)(Tensor(shape: [c.T, c.H, c.D], data: c.input), offset: c.offset)
            // torch.exp differs from a correctly rounded exp by 1 ulp on a few frequencies (D=64: one);
            // at position p that moves the angle by ≈ p·freq·6e-8: tolerance grows with the position.
            let tolerance = 2e-6 + 5e-8 * Double(c.offset + c.T)
            #expect(relativeError(y.data, c.output) < tolerance, "offset \(c.offset) D \(c.D)")
        }
    }
}
