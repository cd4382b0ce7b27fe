// VectorELU: a vectorised ELU (alpha 1) for the SEANet hot path, where libm's scalar expm1f
// cost several ms per frame. expm1 by range reduction x = k·ln2 + r, |r| <= ln2/2, and a
// degree-8 Taylor polynomial for expm1(r): within ~2 ulp of expm1f, like torch's vectorised
// (Sleef u10) ELU. `Activation.elu` is the scalar reference it is tested against.

// With AVX-512 the same operations run 16 lanes wide in CKernels (elu.c): the same bits.
import CKernels

public enum VectorELU {
    typealias V = SIMD8<Float>

    /// x[i] = x[i] > 0 ? x[i] : expm1(x[i]), in place (`path` .scalar: the Swift code even where
    /// AVX-512 runs; tests).
    public static func apply(_ x: UnsafeMutablePointer<Float>, count n: Int, path: SkinnyLinear.Path = .automatic) {
        if ck_elu_inplace(x, n, path.cPath) != 0 { return }
        var i = 0
        while i + 8 <= n {
            let raw = UnsafeMutableRawPointer(x + i)
            let v = raw.loadUnaligned(as: V.self)
            if any(v .<= 0) {
                raw.storeBytes(of: v.replacing(with: expm1Negative(v), where: v .<= 0), as: V.self)
            }
            i += 8
        }
        while i < n {
            let v = x[i]
            if v <= 0 {
                var lanes = V(repeating: 0)
                lanes[0] = v
                x[i] = expm1Negative(lanes)[0]
            }
            i += 1
        }
    }

    /// expm1 for lanes <= 0 (other lanes, NaN included, give unspecified values).
    @inline(__always)
    static func expm1Negative(_ v: V) -> V {
        let ln2Hi: Float = 0.693_145_751_953_125  // ln 2 split so k·ln2Hi is exact
        let ln2Lo: Float = 1.428_606_765_330_187_045e-06
        let invLn2: Float = 1.442_695_040_888_963_4
        // Below −87 the result is −1 in float anyway; keeps 2^k normal.
        var x = v.replacing(with: 0, where: .!(v .<= 0))
        x.replace(with: -87, where: x .< -87)
        // Round to nearest even by adding and removing 1.5·2^23 (|x·invLn2| < 2^22): the same
        // value as .rounded(.toNearestOrEven), which compiles to a libm rintf call per lane.
        let magic: Float = 12_582_912
        let k = ((x * invLn2) + magic) - magic
        let r = (x - k * ln2Hi) - k * ln2Lo
        // expm1(r) = r + r²/2 + ... + r⁸/8!
        var p = V(repeating: 1 / 40320)
        p = p * r + 1 / 5040
        p = p * r + 1 / 720
        p = p * r + 1 / 120
        p = p * r + 1 / 24
        p = p * r + 1 / 6
        p = p * r + 0.5
        let em1 = r + (r * r) * p
        // 2^k built from the exponent bits; k in [−126, 0]. Adding 2^23 puts the integer
        // k + 127 in the low mantissa bits (no checked float→int conversion).
        let biased = unsafeBitCast(k + (127 + 8_388_608), to: SIMD8<UInt32>.self) & 0x7F_FFFF
        let scale = unsafeBitCast(biased &<< 23, to: V.self)
        // expm1(x) = 2^k·expm1(r) + (2^k − 1); exact for k == 0.
        return scale * em1 + (scale - 1)
    }
}
