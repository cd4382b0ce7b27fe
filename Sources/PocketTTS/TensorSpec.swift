/// How a tensor's values are set when weights are made up rather than loaded: torch's
/// defaults for each module kind, plus the fixed buffers.
public enum WeightInitialization: Sendable, Equatable {
    case zeros
    case ones
    case constant(Float)
    /// U(-bound, bound); torch's default for Linear/Conv weights and biases is 1/sqrt(fan_in).
    case uniform(bound: Float)
    case normal(mean: Float, standardDeviation: Float)
    /// The flow head's time-embedding buffer: exp(-ln(maxPeriod) · k / count) for k < count.
    case timestepFrequencies(maxPeriod: Float)
}

/// One tensor of `TTSModel.state_dict()`: its checkpoint key, shape and how to make it up.
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    /// A registered buffer (not a learned parameter): `emb_std`, `emb_mean`, `freqs`.
    public var isBuffer: Bool
    public var initialization: WeightInitialization

    public init(name: String, shape: [Int], isBuffer: Bool = false, initialization: WeightInitialization) {
        self.name = name
        self.shape = shape
        self.isBuffer = isBuffer
        self.initialization = initialization
    }

    public var elementCount: Int { shape.reduce(1, *) }
}
