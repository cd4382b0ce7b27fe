// Tensor: a row-major, contiguous float32 array with a shape. Value semantics.

/// A dense row-major float32 tensor. Used at API edges, in tests and in non-hot code;
/// hot paths work on pointers into caller-owned buffers.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]  // row-major, count == shape.product

    /// Wraps `data` with `shape`; the element count must match.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(
            Tensor.elementCount(shape) == data.count,
            "Tensor: shape \(shape) needs \(Tensor.elementCount(shape)) elements, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: 0, count: elementCount(shape)))
    }

    /// A tensor filled with `value`.
    public static func filled(_ shape: [Int], value: Float) -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: value, count: elementCount(shape)))
    }

    /// Uniform random values in `range` from a seeded generator (deterministic across runs).
    public static func random(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return random(shape, using: &generator, in: range)
    }

    /// Uniform random values in `range` drawn from `generator`.
    public static func random<G: RandomNumberGenerator>(
        _ shape: [Int], using generator: inout G, in range: ClosedRange<Float> = -1...1
    ) -> Tensor {
        let n = elementCount(shape)
        var data = [Float](repeating: 0, count: n)
        for i in 0..<n { data[i] = Float.random(in: range, using: &generator) }
        return Tensor(shape: shape, data: data)
    }

    /// Number of elements.
    public var count: Int { data.count }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Size of the last dimension (1 for a scalar).
    public var lastDimension: Int { shape.last ?? 1 }

    /// Number of rows when viewed as [count / lastDimension, lastDimension].
    public var rowCount: Int { lastDimension == 0 ? 0 : count / lastDimension }

    /// The same data with another shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            precondition(newShape.filter { $0 == -1 }.count == 1, "reshaped: at most one -1")
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshaped: cannot infer \(newShape) from \(shape)")
            resolved[inferred] = count / known
        }
        return Tensor(shape: resolved, data: data)
    }

    /// Transpose of a rank-2 tensor: [R, C] -> [C, R].
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed: rank-2 tensors only, got \(shape)")
        let (r, c) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: count)
        for i in 0..<r {
            for j in 0..<c { out[j * r + i] = data[i * c + j] }
        }
        return Tensor(shape: [c, r], data: out)
    }

    /// Element at a multi-dimensional index.
    public subscript(_ index: Int...) -> Float {
        get { data[offset(of: index)] }
        set { data[offset(of: index)] = newValue }
    }

    /// Flat offset of a multi-dimensional index.
    public func offset(of index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor index \(index) for shape \(shape)")
        var flat = 0
        for (i, dim) in zip(index, shape) {
            precondition(i >= 0 && i < dim, "Tensor index \(index) out of bounds for shape \(shape)")
            flat = flat * dim + i
        }
        return flat
    }

    /// Largest |a - b| over all elements (shapes must match).
    public static func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "maxAbsDifference: shapes \(a.shape) and \(b.shape)")
        return maxAbsDifference(a.data, b.data)
    }

    /// Largest |a - b| over two equally long arrays (NaN if any difference is NaN).
    public static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "maxAbsDifference: counts \(a.count) and \(b.count)")
        var worst: Float = 0
        for i in 0..<a.count {
            let d = abs(a[i] - b[i])
            if d.isNaN { return .nan }
            worst = max(worst, d)
        }
        return worst
    }

    /// Largest |x| over all elements.
    public var maxAbs: Float { data.reduce(0) { max($0, abs($1)) } }

    /// True when every |a - b| <= atol + rtol·|b| (shapes must match).
    public func isClose(to other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count {
            let d = abs(data[i] - other.data[i])
            if !(d <= atol + rtol * abs(other.data[i])) { return false }
        }
        return true
    }

    /// Product of the dimensions of `shape`.
    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }
}

/// A small, fast, seedable generator (SplitMix64) for reproducible random tensors.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
