// Precision: the model's arithmetic policy (one setting: exact, bf16, int8), mapped at load to
// Kernels' `Linear.Arithmetic` for FlowLM and to the Mimi decoder's fast paths.
import Kernels

/// How the model multiplies, chosen at load (`TTSModel.load(…, precision:)`, the CLI's
/// `--precision`, the server's `precision` key). For FlowLM's linear layers it is Kernels'
/// `Linear.Arithmetic` (`linearArithmetic`: `exact` is `.f32`). The faster paths need AVX-512
/// BF16 (`bf16`) or AVX-512 VNNI (`int8`), or AVX2 with FMA for both (the same arithmetic, bit
/// for bit, at 8 lanes); other CPUs run portable C, correct but slower than `exact`
/// (`isAccelerated`). The Mimi decoder's fast path needs AVX-512: elsewhere it stays exact.
/// For the Mimi decoder (`TTSModel.load(…, precision:)`), `bf16` and `int8` both select its fast
/// path (`PackedWeights`: bfloat16 products for the layers that see 16 steps per frame, f32
/// FMAs for the wider SEANet layers; ~83 dB audio SNR against exact), except that under `int8`
/// on AVX512-VNNI its transformer's projections take the int8 kernel (`Int8Weights`) and SEANet's
/// convolutions but the last run int8 products (~51 dB audio SNR, decoder alone); under both its
/// transformer attends with CKernels' ring attention over a bfloat16 KV ring
/// (`Attention.forwardRing`) and its GELU uses a vectorized erf; `exact` keeps OpenBLAS and libm.
/// For FlowLM's KV cache, `bf16` and `int8` both store keys and values as bfloat16 (rounded to
/// nearest even as written, widened exactly as the one-query attention reads them: half the
/// cache bytes); `exact` keeps them in f32.
public enum Precision: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// f32 activations, products and sums, on the weights as loaded (bfloat16 weights widened
    /// exactly): the reference's arithmetic, up to summation order. The parity tests run on it.
    case exact
    /// Activations rounded to bfloat16 (nearest even) per call, bfloat16 weights (f32 weights are
    /// rounded once, at load); exact products summed in f32: AVX512-BF16 `vdpbf16ps`, twice the
    /// products of an f32 FMA per instruction (but issued at half an FMA's rate on Intel Xeons
    /// up to Emerald Rapids, where it gains nothing: Benchmarks/README.md).
    case bf16
    /// int8 weights with one scale per output (symmetric, quantized at load from the weights as
    /// loaded) and int8 activations with one scale per row (per call); exact int32 sums, one f32
    /// scaling per output: AVX512-VNNI `vpdpbusd`, a quarter of the weight bytes of f32.
    case int8

    public var description: String { rawValue }

    /// The default of the service and the CLI: `int8` where the CPU runs it natively (AVX512-VNNI,
    /// or AVX2: 2.5-3.4x faster FlowLM steps than exact on an AVX2 EPYC, Benchmarks/README.md),
    /// else `exact` (int8 in portable C is slower than exact). Measured on the full-size model
    /// (Benchmarks/README.md, "Precisions"): int8 halves the FlowLM step with a 40 dB
    /// teacher-forced latent SNR against exact (the issue asks ≥ 30 dB of the default); bf16 is
    /// more accurate (56 dB) but not faster on the Intel CPUs measured. The model's own API
    /// (`TTSModel.load`, `FlowLM`; `Linear`: `.f32`) keeps `exact` as its default: the parity tests run on it.
    public static var recommended: Precision { Precision.int8.isAccelerated ? .int8 : .exact }

    /// The CPU runs this precision's AVX-512 or AVX2 kernels (always true for `exact`, whose
    /// portable path is OpenBLAS).
    public var isAccelerated: Bool { linearArithmetic.isAccelerated }

    /// The arithmetic of the linear layers this precision selects.
    public var linearArithmetic: Linear.Arithmetic {
        switch self {
        case .exact: .f32
        case .bf16: .bf16
        case .int8: .int8
        }
    }
}
