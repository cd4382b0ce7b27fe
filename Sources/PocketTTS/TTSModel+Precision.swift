// Where a model built for a reduced precision multiplies in a slower arithmetic than asked:
// per part, for the loader to log once (issue 20 item 3).
import Kernels

extension TTSModel {
    /// The parts of this model that do not run `precision`'s fast kernels on this CPU, each with
    /// its checkpoint prefix and the reason, e.g. `mimi.decoder: exact (its bf16/int8 path needs
    /// AVX-512)`. Empty for `.exact`, and on a CPU whose kernels take every layer (AVX512 with
    /// BF16 and VNNI: every shipped config, tiny widths and grouped-query attention included).
    /// `precision` must be the one the model was loaded with.
    public func precisionFallbacks(_ precision: Precision) -> [String] {
        guard precision != .exact else { return [] }
        var fallbacks: [String] = []
        if !precision.isAccelerated {
            fallbacks.append("flow_lm: \(precision) in portable C (no AVX-512 or AVX2 kernel on this CPU; slower than exact)")
        }
        let decoder = mimi.decoder
        if decoder.transformer.isExact && decoder.exactFallbackLayers.isEmpty {
            // Nothing reduced at all: the decoder's fast path was not selected (Mimi.products).
            fallbacks.append("mimi.decoder: exact (its fast path needs AVX-512)")
            return fallbacks
        }
        fallbacks += decoder.exactFallbackLayers.map { "mimi.\($0): exact (no \(precision) kernel takes its shape)" }
        if precision == .int8 && !SkinnyLinear.hasAVX512VNNI && !decoder.transformer.isExact {
            fallbacks.append("mimi.decoder_transformer: packed bf16/f32 products, not int8 (needs AVX512-VNNI)")
        }
        if !PackedWeights.hasAcceleratedBFloat16 && !decoder.transformer.isExact {
            fallbacks.append("mimi.decoder: f32 products where bf16 would be used (no AVX512-BF16)")
        }
        return fallbacks
    }
}
