import Kernels

/// The reference's voice-state format (`export_model_state` / `_import_model_state`): per
/// layer i, `transformer.layers.<i>.self_attn/cache` [2 (k, v), 1, T', H, hd] and
/// `transformer.layers.<i>.self_attn/current_end` whose *length* T <= T' is the number of
/// valid positions. File I/O lives elsewhere; these work on name → tensor maps.
extension FlowLM {
    static func voiceCacheKey(layer: Int) -> String { "transformer.layers.\(layer).self_attn/cache" }
    static func voiceEndKey(layer: Int) -> String { "transformer.layers.\(layer).self_attn/current_end" }

    /// A stream prefilled from voice-state tensors, with room for at least `capacity`
    /// positions. Fails on a missing, unknown or mis-shaped tensor.
    public func makeState(voiceTensors tensors: [String: Tensor], capacity: Int = 0) throws(FlowLMError) -> State {
        let (layers, h, hd) = (dimensions.layerCount, dimensions.headCount, dimensions.headDim)
        var known = Set<String>()
        var length: Int?
        var caches: [Tensor] = []
        for i in 0..<layers {
            let (cacheKey, endKey) = (Self.voiceCacheKey(layer: i), Self.voiceEndKey(layer: i))
            known.formUnion([cacheKey, endKey])
            guard let cache = tensors[cacheKey] else { throw .voiceState(tensor: cacheKey, problem: "missing") }
            guard let end = tensors[endKey] else { throw .voiceState(tensor: endKey, problem: "missing") }
            guard end.rank == 1 else { throw .shape(name: endKey, expected: [-1], got: end.shape) }
            let t = end.shape[0]
            guard cache.rank == 5, cache.shape[0] == 2, cache.shape[1] == 1, cache.shape[2] >= t,
                  cache.shape[3] == h, cache.shape[4] == hd else {
                throw .shape(name: cacheKey, expected: [2, 1, t, h, hd], got: cache.shape)
            }
            if let length, length != t {
                throw .voiceState(tensor: endKey, problem: "length \(t) differs from the previous layers' \(length)")
            }
            length = t
            caches.append(cache)
        }
        if let unknown = Set(tensors.keys).subtracting(known).sorted().first {
            throw .voiceState(tensor: unknown, problem: "unexpected")
        }
        let t = length ?? 0
        var state = makeState(capacity: max(capacity, t))
        let rowSize = dimensions.modelDim
        for (i, cache) in caches.enumerated() {
            let stride = cache.shape[2] * rowSize  // one of k, v: [T', H·hd]
            state.cache.setRows(layer: i, kv: 0, cache.data[0..<t * rowSize])
            state.cache.setRows(layer: i, kv: 1, cache.data[stride..<stride + t * rowSize])
        }
        state.cache.length = t
        return state
    }

    /// The voice-state tensors of `state`: caches [2, 1, T, H, hd] and current_end zeros [T]
    /// (float32, like the reference), T = state.length.
    public func voiceTensors(of state: State) -> [String: Tensor] {
        let (t, h, hd) = (state.length, dimensions.headCount, dimensions.headDim)
        var out: [String: Tensor] = [:]
        for i in 0..<dimensions.layerCount {
            let data = state.cache.rows(layer: i, kv: 0) + state.cache.rows(layer: i, kv: 1)
            out[Self.voiceCacheKey(layer: i)] = Tensor(shape: [2, 1, t, h, hd], data: data)
            out[Self.voiceEndKey(layer: i)] = Tensor.zeros([t])
        }
        return out
    }
}
