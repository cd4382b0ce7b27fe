// Int8Weights: a weight matrix quantized to int8 with one scale per output row.

/// A weight matrix [out, in] as int8 with one scale per output row (symmetric):
/// w[n, k] ≈ values[n, k] · scales[n], values = round_even(w · 127 / max_k |w[n, k]|), so each
/// row's largest weight maps to ±127 (`Linear.Arithmetic.int8`).
public struct Int8Weights: Sendable, Equatable {
    public let outFeatures: Int
    public let inFeatures: Int
    public let values: [Int8]  // [out, in]
    public let scales: [Float]  // [out] max_k |w[n, k]| / 127 (0 for a row of zeros)
    /// Σ_k values[n, k]  // [out]: the kernel feeds activations as unsigned bytes q + 128 and
    /// takes 128 · sums[n] back off.
    public let sums: [Int32]

    /// Quantizes f32 or bfloat16 weights [out, in] (row-major). Programmer error for int8 ones.
    public init(quantizing weights: Linear.Weights, outFeatures: Int, inFeatures: Int) {
        precondition(weights.count == outFeatures * inFeatures, "Int8Weights: \(weights.count) weights for \(outFeatures)×\(inFeatures)")
        let count = outFeatures * inFeatures
        var scales = [Float](repeating: 0, count: outFeatures)
        var sums = [Int32](repeating: 0, count: outFeatures)
        let values = [Int8](unsafeUninitializedCapacity: count) { q, initialized in
            scales.withUnsafeMutableBufferPointer { s in
                sums.withUnsafeMutableBufferPointer { t in
                    switch weights {
                    case .float32(let w):
                        w.withUnsafeBufferPointer {
                            SkinnyLinear.quantize(float32: $0, outFeatures: outFeatures, inFeatures: inFeatures,
                                                  into: q, scales: s, sums: t)
                        }
                    case .bfloat16(let w):
                        w.withUnsafeBufferPointer {
                            SkinnyLinear.quantize(bfloat16: $0, outFeatures: outFeatures, inFeatures: inFeatures,
                                                  into: q, scales: s, sums: t)
                        }
                    case .int8:
                        preconditionFailure("Int8Weights: the weights are int8 already")
                    }
                }
            }
            initialized = count
        }
        self.init(values: values, scales: scales, sums: sums, outFeatures: outFeatures, inFeatures: inFeatures)
    }

    /// From parts already quantized; `sums` must be the row sums of `values`.
    public init(values: [Int8], scales: [Float], sums: [Int32], outFeatures: Int, inFeatures: Int) {
        precondition(values.count == outFeatures * inFeatures && scales.count == outFeatures && sums.count == outFeatures,
                     "Int8Weights: sizes")
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.values = values
        self.scales = scales
        self.sums = sums
    }

    /// values[n, k] · scales[n]  // [out, in]
    public var dequantized: [Float] {
        (0..<values.count).map { Float(values[$0]) * scales[$0 / inFeatures] }
    }
}
