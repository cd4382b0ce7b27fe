import Kernels

/// The reference's voice-state format (models/model_state.py `export_model_state` /
/// `_import_model_state`), per layer i, `transformer.layers.<i>.self_attn/`:
/// - 4.0.1: `cache` [2 (k, v), 1, T', Hkv, hd] float32, `offset` int64 [1] = T, the number of
///   valid positions (T <= T'), and `pad` int64 [1] (leading padded positions of batched
///   generation: 0 in every voice state; others are refused).
/// - 1.1.1: `cache` as above (Hkv = H) and `current_end`, whose *length* T is the number of
///   valid positions (its values are ignored); still read, as 4.0.1 reads it.
/// `voiceTensors(of:)` writes the 4.0.1 form. File I/O lives elsewhere; these work on name →
/// tensor maps (`voiceTensorDType` says which tensors a file stores as int64).
extension FlowLM {
    static func voiceKey(layer: Int, _ name: String) -> String { "transformer.layers.\(layer).self_attn/\(name)" }

    /// The dtype the reference stores a voice-state tensor in: int64 for `offset` and `pad`
    /// (and 1.1.1's `current_end` is float32), float32 for the caches.
    public static func voiceTensorDType(name: String) -> SafetensorsDType {
        name.hasSuffix("/offset") || name.hasSuffix("/pad") ? .int64 : .float32
    }

    /// A stream prefilled from voice-state tensors (either format), with room for at least
    /// `capacity` positions. Fails on a missing, unknown or mis-shaped tensor, naming it.
    public func makeState(voiceTensors tensors: [String: Tensor], capacity: Int = 0) throws(FlowLMError) -> State {
        let (layers, h, hd) = (dimensions.layerCount, dimensions.keyValueHeadCount, dimensions.headDim)
        // A 1.1.1 file has current_end tensors; a 4.0.1 file offset (and pad) tensors.
        let legacy = tensors.keys.contains { $0.hasSuffix("/current_end") }
        var known = Set<String>()
        var length: Int?
        var caches: [Tensor] = []
        for i in 0..<layers {
            let cacheKey = Self.voiceKey(layer: i, "cache")
            guard let cache = tensors[cacheKey] else { throw .voiceState(tensor: cacheKey, problem: "missing") }
            known.insert(cacheKey)
            let t = try legacy ? legacyLength(tensors, layer: i, known: &known) : offset(tensors, layer: i, known: &known)
            guard cache.rank == 5, cache.shape[0] == 2, cache.shape[1] == 1, cache.shape[2] >= t,
                  cache.shape[3] == h, cache.shape[4] == hd else {
                throw .shape(name: cacheKey, expected: [2, 1, t, h, hd], got: cache.shape)
            }
            if let length, length != t {
                throw .voiceState(tensor: Self.voiceKey(layer: i, legacy ? "current_end" : "offset"),
                                  problem: "length \(t) differs from the previous layers' \(length)")
            }
            length = t
            caches.append(cache)
        }
        if let unknown = Set(tensors.keys).subtracting(known).sorted().first {
            throw .voiceState(tensor: unknown, problem: "unexpected")
        }
        let t = length ?? 0
        var state = makeState(capacity: max(capacity, t))
        let rowSize = dimensions.keyValueDim
        for (i, cache) in caches.enumerated() {
            let stride = cache.shape[2] * rowSize  // one of k, v: [T', Hkv·hd]
            state.cache.setRows(layer: i, kv: 0, cache.data[0..<t * rowSize])
            state.cache.setRows(layer: i, kv: 1, cache.data[stride..<stride + t * rowSize])
        }
        state.cache.length = t
        return state
    }

    /// The voice-state tensors of `state` as 4.0.1's `export_model_state` writes them: caches
    /// [2, 1, T, Hkv, hd], offset [T] and pad [0] (store those two as int64:
    /// `voiceTensorDType`), T = state.length.
    public func voiceTensors(of state: State) -> [String: Tensor] {
        let (t, h, hd) = (state.length, dimensions.keyValueHeadCount, dimensions.headDim)
        var out: [String: Tensor] = [:]
        for i in 0..<dimensions.layerCount {
            let data = state.cache.rows(layer: i, kv: 0) + state.cache.rows(layer: i, kv: 1)
            out[Self.voiceKey(layer: i, "cache")] = Tensor(shape: [2, 1, t, h, hd], data: data)
            out[Self.voiceKey(layer: i, "offset")] = Tensor(shape: [1], data: [Float(t)])
            out[Self.voiceKey(layer: i, "pad")] = Tensor(shape: [1], data: [0])
        }
        return out
    }

    /// 4.0.1: `offset` [1] holds the length; `pad` [1], when present, must be 0.
    private func offset(_ tensors: [String: Tensor], layer: Int, known: inout Set<String>) throws(FlowLMError) -> Int {
        let (offsetKey, padKey) = (Self.voiceKey(layer: layer, "offset"), Self.voiceKey(layer: layer, "pad"))
        known.formUnion([offsetKey, padKey])
        guard let offset = tensors[offsetKey] else { throw .voiceState(tensor: offsetKey, problem: "missing") }
        guard offset.shape == [1] else { throw .shape(name: offsetKey, expected: [1], got: offset.shape) }
        let value = offset.data[0]
        guard value >= 0, value == value.rounded(), value < 0x1p24 else {
            throw .voiceState(tensor: offsetKey, problem: "\(value) is not a position")
        }
        if let pad = tensors[padKey] {
            guard pad.shape == [1] else { throw .shape(name: padKey, expected: [1], got: pad.shape) }
            guard pad.data[0] == 0 else {
                throw .voiceState(tensor: padKey, problem: "padded states (batched generation) are not supported")
            }
        }
        return Int(value)
    }

    /// 1.1.1: the length of `current_end` is the length.
    private func legacyLength(_ tensors: [String: Tensor], layer: Int, known: inout Set<String>) throws(FlowLMError) -> Int {
        let endKey = Self.voiceKey(layer: layer, "current_end")
        known.insert(endKey)
        guard let end = tensors[endKey] else { throw .voiceState(tensor: endKey, problem: "missing") }
        guard end.rank == 1 else { throw .shape(name: endKey, expected: [-1], got: end.shape) }
        return end.shape[0]
    }
}
