import Foundation
import Kernels

/// Seeded made-up weights with the exact layout of the official checkpoint, initialised the way
/// torch initialises each module (see `ModelLayout` / `WeightInitialization`), so activations
/// stay finite through the whole model. Each tensor is drawn from its own stream, keyed by
/// (seed, name): one tensor's values do not depend on any other tensor or on order.
public enum RandomWeights {
    /// The values of one tensor, row-major.
    public static func values(for spec: TensorSpec, seed: UInt64) -> [Float] {
        let count = spec.elementCount
        switch spec.initialization {
        case .zeros:
            return [Float](repeating: 0, count: count)
        case .ones:
            return [Float](repeating: 1, count: count)
        case .constant(let value):
            return [Float](repeating: value, count: count)
        case .timestepFrequencies(let maxPeriod):
            // In float32 step by step, as torch evaluates
            // exp(-log(max_period) * arange(half) / half).
            let negativeLogPeriod = Float(-log(Double(maxPeriod)))
            return (0..<count).map { Foundation.exp(negativeLogPeriod * Float($0) / Float(count)) }
        case .uniform(let bound):
            var generator = Xoshiro256(seed: seed, stream: spec.name)
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    buffer[index] = (2 * generator.nextUnitFloat() - 1) * bound
                }
                initialized = count
            }
        case .normal(let mean, let standardDeviation):
            var generator = Xoshiro256(seed: seed, stream: spec.name)
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                var index = 0
                while index < count {
                    let (first, second) = generator.nextNormalPair()
                    buffer[index] = mean + standardDeviation * first
                    if index + 1 < count { buffer[index + 1] = mean + standardDeviation * second }
                    index += 2
                }
                initialized = count
            }
        }
    }

    /// Every tensor of the model, by checkpoint key.
    public static func tensors(for config: PocketTTSConfig, seed: UInt64) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for spec in ModelLayout.tensors(for: config) {
            tensors[spec.name] = Tensor(shape: spec.shape, data: values(for: spec, seed: seed))
        }
        return tensors
    }

    /// Writes a safetensors file with every tensor as `dtype` (F32 or BF16), generating one
    /// tensor at a time. Returns the number of values written.
    @discardableResult
    public static func write(
        config: PocketTTSConfig, seed: UInt64, dtype: SafetensorsDType, to url: URL, metadata: [String: String] = [:]
    ) throws -> Int {
        let specs = ModelLayout.tensors(for: config)
        let byName = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
        let declarations = specs.map { SafetensorsWriter.Declaration(name: $0.name, dtype: dtype, shape: $0.shape) }
        try SafetensorsWriter.write(to: url, declarations: declarations, metadata: metadata) { declaration in
            values(for: byName[declaration.name]!, seed: seed)
        }
        return specs.reduce(0) { $0 + $1.elementCount }
    }
}
