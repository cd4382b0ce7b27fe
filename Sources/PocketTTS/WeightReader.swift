import Kernels

/// Errors raised while loading model weights. Every case names the tensor.
public enum WeightError: Error, Equatable, CustomStringConvertible {
    case missingTensor(String)
    case shape(name: String, expected: [Int], got: [Int])
    case unusedTensors([String])
    /// Two tensors of a renamed file map to the same name (`WeightReader(file:renaming:)`).
    case duplicateTensor(String, files: [String])

    public var description: String {
        switch self {
        case .missingTensor(let name): "weights: missing tensor '\(name)'"
        case .shape(let name, let expected, let got):
            "weights: tensor '\(name)' has shape \(got), expected \(expected)"
        case .unusedTensors(let names):
            "weights: \(names.count) tensor(s) in the file are not used by the model: "
                + names.prefix(10).joined(separator: ", ") + (names.count > 10 ? ", ..." : "")
        case .duplicateTensor(let name, let files):
            "weights: tensors \(files.joined(separator: " and ")) both load as '\(name)'"
        }
    }
}

/// Strict, consuming access to a checkpoint's tensors (a flat name → tensor map, or a
/// safetensors file read on demand).
///
/// Modules take their tensors by full checkpoint key with the expected shape; `finish()` then
/// fails if any tensor of the file was never taken. `scoped(_:)` prefixes keys so a module can
/// load itself without knowing where it sits (`reader.scoped("flow_lm.transformer.layers.0.")`).
/// A reference type so that scoped views share the record of consumed names.
public final class WeightReader {
    private enum Source {
        case tensors([String: Tensor])
        case file(SafetensorsFile, keepBFloat16: Bool)
    }

    private let source: Source?  // nil in scoped views
    private var taken: Set<String> = []
    private let prefix: String
    private let root: WeightReader?
    /// Model key → file key, when the file's names differ from the model's (`init(file:…:renaming:)`).
    private let fileKeys: [String: String]?

    public init(tensors: [String: Tensor]) {
        self.source = .tensors(tensors)
        self.prefix = ""
        self.root = nil
        self.fileKeys = nil
    }

    /// Reads tensors from `file` as they are taken. With `keepBFloat16`, `linearWeights` hands
    /// BF16 matrices over as bfloat16 bits (half the memory, the same values); everything else
    /// is decoded to Float32.
    public init(file: SafetensorsFile, keepBFloat16: Bool = true) {
        self.source = .file(file, keepBFloat16: keepBFloat16)
        self.prefix = ""
        self.root = nil
        self.fileKeys = nil
    }

    /// Reads `file` under other names: `renaming(fileKey)` is the key the model asks for, or nil
    /// for a tensor the model does not use (skipped: not reported by `finish()`). Errors name
    /// the model's key. Fails if two file keys map to one name.
    public init(file: SafetensorsFile, keepBFloat16: Bool = true, renaming: (String) -> String?) throws {
        var keys: [String: String] = [:]
        for name in file.names {
            guard let key = renaming(name) else { continue }
            if let other = keys[key] {
                throw WeightError.duplicateTensor(key, files: [other, name].sorted())
            }
            keys[key] = name
        }
        self.source = .file(file, keepBFloat16: keepBFloat16)
        self.prefix = ""
        self.root = nil
        self.fileKeys = keys
    }

    private init(root: WeightReader, prefix: String) {
        self.source = nil
        self.prefix = prefix
        self.root = root
        self.fileKeys = nil
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

    /// Takes the matrix `name` ([out, in]) as `Linear` weights: bfloat16 bits when the file
    /// stores it as BF16 (and the reader keeps BF16), Float32 otherwise.
    public func linearWeights(_ name: String, shape: [Int]) throws -> Linear.Weights {
        let owner = root ?? self
        let key = prefix + name
        if case .file(let file, true) = owner.source, let stored = owner.fileKey(key), file.contains(stored),
           try file.dtype(of: stored) == .bfloat16 {
            try owner.check(key, shape: try file.shape(of: stored), expected: shape)
            guard let bits = try file.bfloat16Bits(named: stored) else { throw WeightError.missingTensor(key) }
            return .bfloat16(bits)
        }
        return .float32(try owner.take(key, shape: shape).data)
    }

    /// True when the checkpoint holds `name` (relative to this view); takes nothing.
    public func contains(_ name: String) -> Bool {
        (root ?? self).has(prefix + name)
    }

    /// Fails with `.unusedTensors` unless every tensor was taken.
    public func finish() throws {
        let owner = root ?? self
        let unused = owner.names.filter { !owner.taken.contains($0) }.sorted()
        if !unused.isEmpty { throw WeightError.unusedTensors(unused) }
    }

    /// Every tensor name of the checkpoint, as the model names it (root only).
    private var names: [String] {
        if let fileKeys { return Array(fileKeys.keys) }
        switch source {
        case .tensors(let tensors): return Array(tensors.keys)
        case .file(let file, _): return file.names
        case nil: return []
        }
    }

    /// The file's name for the model's `key` (nil: the file has no such tensor).
    private func fileKey(_ key: String) -> String? {
        guard let fileKeys else { return key }
        return fileKeys[key]
    }

    private func has(_ key: String) -> Bool {
        switch source {
        case .tensors(let tensors): tensors[key] != nil
        case .file(let file, _): fileKey(key).map(file.contains) ?? false
        case nil: false
        }
    }

    private func take(_ key: String, shape: [Int]) throws -> Tensor {
        let tensor: Tensor
        switch source {
        case .tensors(let tensors):
            guard let t = tensors[key] else { throw WeightError.missingTensor(key) }
            tensor = t
        case .file(let file, _):
            guard let stored = fileKey(key), file.contains(stored) else { throw WeightError.missingTensor(key) }
            try check(key, shape: try file.shape(of: stored), expected: shape)
            tensor = try file.tensor(named: stored)
        case nil:
            preconditionFailure("WeightReader: take on a scoped view")
        }
        try check(key, shape: tensor.shape, expected: shape)
        return tensor
    }

    /// Fails unless `shape == expected`; then records `key` as taken.
    private func check(_ key: String, shape: [Int], expected: [Int]) throws {
        guard shape == expected else { throw WeightError.shape(name: key, expected: expected, got: shape) }
        taken.insert(key)
    }
}
