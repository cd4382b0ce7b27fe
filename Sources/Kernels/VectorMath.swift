// VectorMath: small SIMD helpers on raw float pointers, shared by the kernels.

/// Vectorised reductions and element-wise operations on `count` contiguous floats.
/// Allocation-free; unaligned pointers are fine.
public enum VectorMath {
    @usableFromInline typealias V = SIMD16<Float>

    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inlinable @inline(__always)
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// Σ x[i].
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var acc = V.zero
        var i = 0
        while i + 16 <= n { acc += load(x + i); i += 16 }
        var s = acc.sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// Σ (x[i] - mean)².
    @inlinable
    public static func sumSquaredDeviation(_ x: UnsafePointer<Float>, count n: Int, mean: Float) -> Float {
        var acc = V.zero
        let m = V(repeating: mean)
        var i = 0
        while i + 16 <= n {
            let d = load(x + i) - m
            acc += d * d
            i += 16
        }
        var s = acc.sum()
        while i < n { let d = x[i] - mean; s += d * d; i += 1 }
        return s
    }

    /// Σ x[i]·y[i].
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int) -> Float {
        var acc = V.zero
        var i = 0
        while i + 16 <= n { acc += load(x + i) * load(y + i); i += 16 }
        var s = acc.sum()
        while i < n { s += x[i] * y[i]; i += 1 }
        return s
    }

    /// y[i] += a · x[i].
    @inlinable
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        let va = V(repeating: a)
        var i = 0
        while i + 16 <= n { store(load(UnsafePointer(y + i)) + va * load(x + i), y + i); i += 16 }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// y[i] += x[i].
    @inlinable
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 16 <= n { store(load(UnsafePointer(y + i)) + load(x + i), y + i); i += 16 }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// y[i] *= x[i].
    @inlinable
    public static func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 16 <= n { store(load(UnsafePointer(y + i)) * load(x + i), y + i); i += 16 }
        while i < n { y[i] *= x[i]; i += 1 }
    }

    /// x[i] *= a.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, by a: Float, count n: Int) {
        let va = V(repeating: a)
        var i = 0
        while i + 16 <= n { store(load(UnsafePointer(x + i)) * va, x + i); i += 16 }
        while i < n { x[i] *= a; i += 1 }
    }

    /// Largest x[i] (-infinity when n == 0).
    @inlinable
    public static func max(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var i = 0
        var m = -Float.infinity
        if n >= 16 {
            var acc = load(x)
            i = 16
            while i + 16 <= n { acc = pointwiseMax(acc, load(x + i)); i += 16 }
            m = acc.max()
        }
        while i < n { m = Swift.max(m, x[i]); i += 1 }
        return m
    }
}
