// Shared helpers for KernelsTests: tolerances, random data, the reference fixture.
import Foundation
import Kernels

/// Largest |got − expected| / (1 + |expected|): a relative error that stays meaningful near 0.
func relativeError(_ got: [Float], _ expected: [Double]) -> Double {
    precondition(got.count == expected.count, "relativeError: counts \(got.count) vs \(expected.count)")
    var worst = 0.0
    for i in 0..<got.count {
        let e = abs(Double(got[i]) - expected[i]) / (1 + abs(expected[i]))
        if e.isNaN { return .infinity }
        worst = max(worst, e)
    }
    return worst
}

func relativeError(_ got: [Float], _ expected: [Float]) -> Double {
    relativeError(got, expected.map(Double.init))
}

func randomArray(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
    Tensor.random([count], seed: seed, in: range).data
}

// MARK: Fixture written by Scripts/reference/make_kernel_fixtures.py

struct KernelFixture: Decodable {
    struct RoPECase: Decodable {
        let T: Int, H: Int, D: Int, offset: Int
        let input: [Float], output: [Float]
    }
    struct RMSCase: Decodable {
        let rows: Int, dim: Int, eps: Float
        let alpha: [Float], input: [Float], output: [Float]
    }
    struct AttentionCase: Decodable {
        let Tq: Int, Tk: Int, H: Int, D: Int, queryStart: Int, window: Int
        let keyPositions: [Int]
        let queries: [Float], keys: [Float], values: [Float], output: [Float]
    }
    struct Pairs: Decodable { let input: [Float], output: [Float] }

    let rope: [RoPECase]
    let ropeFrequencies64: [Float]
    let rmsNorm: [RMSCase]
    let attention: AttentionCase
    let gelu: Pairs

    static func load() throws -> KernelFixture {
        guard let url = Bundle.module.url(forResource: "kernels", withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(KernelFixture.self, from: Data(contentsOf: url))
    }
}
