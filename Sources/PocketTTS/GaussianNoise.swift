#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scalar libm functions for the model code (the one libm import of this target).
enum LibM {
    @inline(__always) static func cos(_ x: Float) -> Float { cosf(x) }
    @inline(__always) static func sin(_ x: Float) -> Float { sinf(x) }
    @inline(__always) static func log(_ x: Double) -> Double { libmLog(x) }
    @inline(__always) static func cos(_ x: Double) -> Double { libmCos(x) }
    @inline(__always) static func sin(_ x: Double) -> Double { libmSin(x) }
    @inline(__always) static func exp(_ x: Double) -> Double { libmExp(x) }
}

@inline(__always) private func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) private func libmCos(_ x: Double) -> Double { cos(x) }
@inline(__always) private func libmSin(_ x: Double) -> Double { sin(x) }
@inline(__always) private func libmExp(_ x: Double) -> Double { exp(x) }

/// Normal noise for the flow's starting point: x0 ~ Normal(0, std) (`torch.nn.init.normal_`),
/// or truncated to [-clamp, clamp] (`trunc_normal_` with absolute bounds a = -clamp, b = clamp).
/// Our own generator: values cannot match torch's RNG, only its distribution.
enum GaussianNoise {
    /// Fills x[count] with Normal(0, std) samples, truncated to ±clamp when set.
    static func fill<G: RandomNumberGenerator>(
        _ x: UnsafeMutablePointer<Float>, count: Int, std: Float, clamp: Float?, using rng: inout G
    ) {
        if std == 0 {
            x.update(repeating: 0, count: count)
            return
        }
        guard let clamp else {
            var i = 0
            while i < count {
                let (a, b) = standardPair(&rng)
                x[i] = Float(a) * std
                if i + 1 < count { x[i + 1] = Float(b) * std }
                i += 2
            }
            return
        }
        if !(clamp > 0) {
            x.update(repeating: 0, count: count)
            return
        }
        let s = Double(std)
        let c = Double(clamp)
        for i in 0..<count {
            if c >= s {
                // Rejection from the normal itself: acceptance >= P(|z| <= 1) ≈ 0.68.
                while true {
                    let v = standardPair(&rng).0 * s
                    if abs(v) <= c { x[i] = Float(v); break }
                }
            } else {
                // Narrow interval: uniform proposal, accept with the normal's density ratio
                // (acceptance >= e^(-1/2)).
                while true {
                    let v = (2 * unit(&rng) - 1) * c
                    if unit(&rng) <= LibM.exp(-0.5 * (v / s) * (v / s)) { x[i] = Float(v); break }
                }
            }
        }
    }

    /// Two independent standard normal samples (Box–Muller).
    @inline(__always)
    static func standardPair<G: RandomNumberGenerator>(_ rng: inout G) -> (Double, Double) {
        let u1 = 1 - unit(&rng)  // (0, 1]
        let u2 = unit(&rng)
        let r = (-2 * LibM.log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        return (r * LibM.cos(theta), r * LibM.sin(theta))
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    static func unit<G: RandomNumberGenerator>(_ rng: inout G) -> Double {
        Double(rng.next() >> 11) * 0x1p-53
    }
}
