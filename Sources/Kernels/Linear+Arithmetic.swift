// Linear's arithmetics: f32, and the reduced bf16 and int8 (CKernels at every row count, the
// outputs split over the caller's pool from `parallelMinimumRows` rows as on the f32 path).
// Which one a model's layers take is the model's policy (PocketTTS's `Precision`).

extension Linear {
    /// How a layer multiplies, chosen at load (`Linear(weights:…, arithmetic:)`). The reduced
    /// arithmetics' fast paths need AVX-512 BF16 (`bf16`) or AVX-512 VNNI (`int8`); other CPUs
    /// run portable C with the same arithmetic, correct but slower (`isAccelerated`).
    public enum Arithmetic: Sendable, Equatable, CaseIterable {
        /// f32 activations, products and sums, on the weights as loaded (bfloat16 weights
        /// widened exactly).
        case f32
        /// Activations rounded to bfloat16 (nearest even) per call, bfloat16 weights (f32
        /// weights rounded once, at load); exact products summed in f32 (AVX512-BF16 `vdpbf16ps`).
        case bf16
        /// int8 weights with one scale per output (symmetric, quantized at load) and int8
        /// activations with one scale per row (per call); exact int32 sums, one f32 scaling per
        /// output (AVX512-VNNI `vpdpbusd`).
        case int8

        /// The CPU runs this arithmetic's AVX-512 kernels (always true for `f32`, whose
        /// portable path is OpenBLAS).
        public var isAccelerated: Bool {
            switch self {
            case .f32: true
            case .bf16: SkinnyLinear.hasAcceleratedBF16
            case .int8: SkinnyLinear.hasAcceleratedInt8
            }
        }
    }
}

extension Linear.Weights {
    /// These weights as a layer of `arithmetic` stores them (see `Linear.init`).
    func stored(for arithmetic: Linear.Arithmetic, outFeatures: Int, inFeatures: Int) -> Linear.Weights {
        switch (arithmetic, self) {
        case (.f32, .int8), (.bf16, .int8):
            preconditionFailure("Linear: int8 weights need arithmetic int8, not \(arithmetic)")
        case (.f32, _), (.bf16, .bfloat16), (.int8, .int8):
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
              accumulate: Bool, pool: WorkerPool?) {
        withBias { b in
            splitOutputs(rows: rows, pool: pool) { outputs in
                SkinnyLinear.forwardBF16(x, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures,
                                         bias: b, into: y, accumulate: accumulate, outputs: outputs)
            }
        }
    }

    func int8(_ x: UnsafePointer<Float>, rows: Int, weight: Int8Weights, into y: UnsafeMutablePointer<Float>,
              accumulate: Bool, pool: WorkerPool?) {
        withBias { b in
            splitOutputs(rows: rows, pool: pool) { outputs in
                SkinnyLinear.forwardInt8(x, rows: rows, weight: weight, bias: b, into: y, accumulate: accumulate,
                                         outputs: outputs)
            }
        }
    }
}
