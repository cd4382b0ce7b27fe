/// FlowLM emits normalised latents; the Mimi decoder takes them de-normalised with FlowLM's
/// buffers `emb_std` and `emb_mean` (`TTSModel._decode_audio_worker`:
/// `latent * emb_std + emb_mean`). The one place that de-normalises: `TTSModel.generate`, the
/// engine's consumer and the benchmarks all call `denormalize`.
public struct LatentNormalization: Sendable, Equatable {
    public let mean: [Float]  // emb_mean [ldim]
    public let std: [Float]  // emb_std [ldim]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "LatentNormalization: \(mean.count) means, \(std.count) deviations")
        self.mean = mean
        self.std = std
    }

    /// Latent values per frame.
    public var latentDim: Int { mean.count }

    /// Appends latent · std + mean, channel by channel, to `out` (the Mimi decoder's input).
    /// latents: [T, ldim] normalised, T ≥ 0; appends [T, ldim]. Allocation-free once `out`
    /// has the capacity.
    public func denormalize(_ latents: [Float], appendingTo out: inout [Float]) {
        let l = latentDim
        precondition(latents.count % l == 0, "LatentNormalization: \(latents.count) values are not whole latents of \(l)")
        for row in stride(from: 0, to: latents.count, by: l) {
            for j in 0..<l { out.append(latents[row + j] * std[j] + mean[j]) }
        }
    }
}
