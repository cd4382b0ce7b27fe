// Linear in the reduced precisions (Precision.bf16, .int8): CKernels at every row count, the
// outputs split over two threads from `parallelMinimumRows` rows as on the f32 path.

extension Linear.Weights {
    /// These weights as a layer of `precision` stores them (see `Linear.init`).
    func stored(for precision: Precision, outFeatures: Int, inFeatures: Int) -> Linear.Weights {
        switch (precision, self) {
        case (.exact, .int8), (.bf16, .int8):
            preconditionFailure("Linear: int8 weights need precision int8, not \(precision)")
        case (.exact, _), (.bf16, .bfloat16), (.int8, .int8):
            return self
        case (.bf16, .float32(let w)):
            return .bfloat16([UInt16](unsafeUninitializedCapacity: w.count) { bits, initialized in
                w.withUnsafeBufferPointer { _ = SkinnyLinear.round($0.baseAddress!, toBFloat16: bits.baseAddress!, count: w.count) }
                initialized = w.count
            })
        case (.int8, _):
            return .int8(Int8Weights(quantizing: self, outFeatures: outFeatures, inFeatures: inFeatures))
        }
    }
}

extension Linear {
    func bf16(_ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<UInt16>, into y: UnsafeMutablePointer<Float>,
              accumulate: Bool) {
        withBias { b in
            splitOutputs(rows: rows) { outputs in
                SkinnyLinear.forwardBF16(x, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures,
                                         bias: b, into: y, accumulate: accumulate, outputs: outputs)
            }
        }
    }

    func int8(_ x: UnsafePointer<Float>, rows: Int, weight: Int8Weights, into y: UnsafeMutablePointer<Float>,
              accumulate: Bool) {
        withBias { b in
            splitOutputs(rows: rows) { outputs in
                SkinnyLinear.forwardInt8(x, rows: rows, weight: weight, bias: b, into: y, accumulate: accumulate,
                                         outputs: outputs)
            }
        }
    }
}
