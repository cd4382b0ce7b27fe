// Linear with bfloat16 weights: the CKernels kernel (AVX-512), else widened blocks + OpenBLAS.

extension Linear {
    /// Weights widened per BLAS call on bfloat16 layers: about this many bytes of Float32 at a
    /// time (a block of output rows), still in cache when sgemm packs it. Widening per call
    /// adds 5–7% to a 64–128-row sgemm on f32 weights (256 KB blocks: 8–12% more; 4 MB: same).
    static let widenBlockBytes = 1 << 20

    /// Float32 values of bfloat16 bits (exact).
    public static func widen(_ bits: [UInt16]) -> [Float] {
        [Float](unsafeUninitializedCapacity: bits.count) { buffer, initialized in
            bits.withUnsafeBufferPointer { source in
                if let s = source.baseAddress, let d = buffer.baseAddress {
                    SkinnyLinear.widen(bfloat16: s, into: d, count: bits.count)
                }
            }
            initialized = bits.count
        }
    }

    func skinny(_ x: UnsafePointer<Float>, rows: Int, bfloat16Weight weight: UnsafePointer<UInt16>,
                into y: UnsafeMutablePointer<Float>, accumulate: Bool, pool: WorkerPool?) {
        withBias { b in
            splitOutputs(rows: rows, pool: pool) { outputs in
                SkinnyLinear.forward(x, rows: rows, inFeatures: inFeatures, bfloat16Weight: weight,
                                     outFeatures: outFeatures, bias: b, into: y, accumulate: accumulate, outputs: outputs)
            }
        }
    }

    /// Widens blocks of output rows into a temporary buffer, one BLAS call per block.
    func widenedBLAS(_ x: UnsafePointer<Float>, rows: Int, bfloat16Weight weight: UnsafePointer<UInt16>,
                     into y: UnsafeMutablePointer<Float>, accumulate: Bool, blockBytes: Int = Linear.widenBlockBytes) {
        let k = inFeatures
        let blockRows = min(outFeatures, max(1, blockBytes / (4 * k)))
        let block = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * k)
        defer { block.deallocate() }
        let beta = prefillBias(rows: rows, into: y, accumulate: accumulate)
        var start = 0
        while start < outFeatures {
            let end = min(outFeatures, start + blockRows)
            SkinnyLinear.widen(bfloat16: weight + start * k, into: block, count: (end - start) * k)
            blas(x, rows: rows, weight: block, outputs: start..<end, beta: beta, into: y)
            start = end
        }
    }
}
