import Kernels

/// Errors raised while loading model weights. Every case names the tensor.
public enum WeightError: Error, Equatable, CustomStringConvertible {
    case missingTensor(String)
    case shape(name: String, expected: [Int], got: [Int])
    case unusedTensors([String])

    public var description: String {
        switch self {
        case .missingTensor(let name): "weights: missing tensor '\(name)'"
        case .shape(let name, let expected, let got):
            "weights: tensor '\(name)' has shape \(got), expected \(expected)"
        case .unusedTensors(let names):
            "weights: \(names.count) tensor(s) in the file are not used by the model: "
                + names.prefix(10).joined(separator: ", ") + (names.count > 10 ? ", ..." : "")
        }
    }
}

/// Strict, consuming access to a checkpoint's tensors (a flat name → tensor map).
///
/// Modules take their tensors by full checkpoint key with the expected shape; `finish()` then
/// fails if any tensor of the file was never taken. `scoped(_:)` prefixes keys so a module can
/// load itself without knowing where it sits (`reader.scoped("flow_lm.transformer.layers.0.")`).
/// A reference type so that scoped views share the record of consumed names.
public final class WeightReader {
    private var tensors: [String: Tensor]
    private var taken: Set<String> = []
    private let prefix: String
    private let root: WeightReader?

    public init(tensors: [String: Tensor]) {
        self.tensors = tensors
        self.prefix = ""
        self.root = nil
    }

    private init(root: WeightReader, prefix: String) {
        self.tensors = [:]
        self.prefix = prefix
        self.root = root
    }

    /// A view whose keys are relative to `prefix` (which usually ends with ".").
    public func scoped(_ prefix: String) -> WeightReader {
        WeightReader(root: root ?? self, prefix: self.prefix + prefix)
    }

    /// Takes the tensor `name` (relative to this view), checking its shape.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try (root ?? self).take(prefix + name, shape: shape)
    }

    /// Takes the tensor `name` and returns its values (row-major).
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        try tensor(name, shape: shape).data
    }

    /// True when the checkpoint holds `name` (relative to this view); takes nothing.
    public func contains(_ name: String) -> Bool {
        (root ?? self).tensors[prefix + name] != nil
    }

    /// Fails with `.unusedTensors` unless every tensor was taken.
    public func finish() throws {
        let owner = root ?? self
        let unused = owner.tensors.keys.filter { !owner.taken.contains($0) }.sorted()
        if !unused.isEmpty { throw WeightError.unusedTensors(unused) }
    }

    private func take(_ key: String, shape: [Int]) throws -> Tensor {
        guard let t = tensors[key] else { throw WeightError.missingTensor(key) }
        guard t.shape == shape else { throw WeightError.shape(name: key, expected: shape, got: t.shape) }
        taken.insert(key)
        return t
    }
}
