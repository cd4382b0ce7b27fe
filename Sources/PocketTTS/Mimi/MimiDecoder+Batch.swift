// MimiDecoder+Batch: one latent frame of each of several streams decoded in one pass.
import Kernels

extension MimiDecoder {
    /// Scratch of `forwardBatch`, reused across calls (one per decoding thread).
    public struct BatchScratch: Sendable {
        var timeMajor: [Float] = []  // [B·16, C]: the transformer's input, stream after stream
        var transformed: [Float] = []  // [B·16, D]
        var transformer = MimiTransformer.BatchScratch()
        /// SEANet's buffers, lent to each stream in turn; a thread's `forward(…, scratch:)` calls
        /// may use them too.
        public var lent = Scratch()
        public init() {}
    }

    /// Whether `forwardBatch` gives every stream the bits of `forward(latents:frames: 1, …)` alone
    /// (its transformer has reduced-precision weights: the decoder under `Precision.bf16` / `.int8`).
    public var isBatchInvariant: Bool { !transformer.isExact }

    /// audio[B, frameLength] (mono) from latents[B, latentDim] (de-normalised): one frame of each
    /// of B = `states.count` streams, each at its own position. The transformer runs the 16 rows
    /// of every stream in one pass over its weights (`MimiTransformer.forwardBatch`); the
    /// quantizer projection, the upsampling and SEANet run per stream on its own state. Equal to
    /// `forward(latents:frames: 1, …)` on each stream alone: bit for bit when `isBatchInvariant`,
    /// else up to the summation order of the transformer's matrix products (CKernels instead of
    /// OpenBLAS).
    public func forwardBatch(
        latents: UnsafePointer<Float>, into audio: UnsafeMutablePointer<Float>,
        states: UnsafeMutableBufferPointer<State>, scratch: inout BatchScratch
    ) {
        precondition(channels == 1, "MimiDecoder: batched decoding writes mono audio")
        let (B, C, D, steps) = (states.count, upsample.inChannels, transformer.outputDimension, stepsPerFrame)
        precondition(B > 0, "MimiDecoder: empty batch")
        let width = upsample.outChannels
        scratch.timeMajor.reserveScratch(B * steps * width)
        scratch.transformed.reserveScratch(B * steps * D)
        withPointers(&scratch.timeMajor, &scratch.transformed) { timeMajor, transformed in
            for s in 0..<B {
                let state = states.baseAddress! + s
                state.pointee.projected.reserveScratch(C)
                state.pointee.upsampled.reserveScratch(max(width, D) * steps)
                withPointers(&state.pointee.projected, &state.pointee.upsampled) { projected, upsampled in
                    // quantizer.output_proj: projected[C, 1] = W[C, latentDim] · latent
                    outputProjection.weight.withUnsafeBufferPointer { w in
                        BLAS.sgemm(transposeB: true, m: C, n: 1, k: latentDimension, a: w.baseAddress!,
                                   lda: latentDimension, b: latents + s * latentDimension, ldb: latentDimension,
                                   c: projected, ldc: 1)
                    }
                    upsample.forward(projected, length: 1, into: upsampled, state: &state.pointee.upsample)
                    transpose(upsampled, rows: width, columns: steps, into: timeMajor + s * steps * width)
                }
            }
            withTransformerStates(states) { transformerStates in
                transformer.forwardBatch(timeMajor, rowsPerStream: steps, into: transformed, states: transformerStates,
                                         scratch: &scratch.transformer)
            }
            for s in 0..<B {
                let state = states.baseAddress! + s
                state.pointee.upsampled.withUnsafeMutableBufferPointer { upsampled in
                    transpose(transformed + s * steps * D, rows: steps, columns: D, into: upsampled.baseAddress!)
                    seanet.forward(upsampled.baseAddress!, length: steps, into: audio + s * frameLength,
                                   state: &state.pointee.seanet, scratch: &scratch.lent.seanet)
                }
                applyFadeIn(audio + s * frameLength, length: frameLength, state: &states[s])
                states[s].frameCount += 1
            }
        }
    }

    /// Moves the streams' transformer states into a contiguous buffer for the call and back
    /// (no copy of their rings: arrays move by reference).
    private func withTransformerStates(
        _ states: UnsafeMutableBufferPointer<State>, _ body: (UnsafeMutableBufferPointer<MimiTransformer.State>) -> Void
    ) {
        var moved = states.map { $0.transformer }
        for s in states.indices { states[s].transformer = transformer.makeState(capacity: 0) }  // drop the extra reference
        moved.withUnsafeMutableBufferPointer { body($0) }
        for s in states.indices { states[s].transformer = moved[s] }
    }
}
