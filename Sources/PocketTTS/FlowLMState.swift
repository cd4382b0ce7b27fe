import Kernels

extension FlowLM {
    /// One stream's FlowLM state: the KV caches of every layer and the scratch memory of a step.
    /// Plain value: copying a prefilled voice state gives an independent stream (the caches are
    /// copied on first write; the scratch is never shared, see `Workspace`).
    public struct State: Sendable {
        /// KV caches of all layers (pocket_tts `StreamingMultiheadAttention` state).
        public internal(set) var cache: KVCache
        /// Scratch for single-stream calls (`step`, `prompt`).
        var workspace: Workspace

        /// Positions consumed so far (`current_end` length in the reference).
        public var length: Int { cache.length }
        /// Positions the caches hold before they must grow.
        public var capacity: Int { cache.capacity }

        /// Grows the caches (if needed) so `capacity` positions fit without reallocating
        /// during steps; the reference's `_expand_kv_cache`.
        public mutating func reserveCapacity(_ capacity: Int) { cache.reserveCapacity(capacity) }
    }

    /// Per-layer key and value caches of one stream, positions 0..<length valid.
    public struct KVCache: Sendable {
        /// How the cache stores a key or value: f32 (`Precision.exact`, bit for bit the
        /// reference's arithmetic) or bfloat16 (the reduced precisions: rows rounded to nearest
        /// even as written, widened exactly as attention reads them; half the bytes).
        public enum Element: Sendable, Equatable {
            case float32, bfloat16

            /// Bytes of one stored key or value.
            public var byteCount: Int { self == .float32 ? 4 : 2 }
        }

        /// Keys and values of one layer, each [capacity, kvHeads, headDim] (valid rows 0..<length).
        enum LayerRows {
            case float32(keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>)
            case bfloat16(keys: UnsafeMutablePointer<UInt16>, values: UnsafeMutablePointer<UInt16>)
        }

        public let layerCount: Int
        public let rowSize: Int  // kvHeads · headDim (kv_dim)
        public let element: Element
        public private(set) var capacity: Int
        public internal(set) var length: Int
        /// [layers, 2 (k, v), capacity, kvHeads, headDim] of `element`: one of the two holds the
        /// cache, the other is empty. Rows >= length are unspecified.
        private var floats: [Float]
        private var halves: [UInt16]  // bfloat16 bits

        init(layerCount: Int, rowSize: Int, capacity: Int, element: Element = .float32) {
            precondition(capacity >= 0, "KVCache: negative capacity")
            self.layerCount = layerCount
            self.rowSize = rowSize
            self.element = element
            self.capacity = capacity
            self.length = 0
            let count = layerCount * 2 * capacity * rowSize
            self.floats = element == .float32 ? [Float](repeating: 0, count: count) : []
            self.halves = element == .bfloat16 ? [UInt16](repeating: 0, count: count) : []
        }

        /// Grows to at least `minimumCapacity` positions, keeping the valid rows.
        public mutating func reserveCapacity(_ minimumCapacity: Int) {
            if minimumCapacity <= capacity { return }
            var grown = KVCache(layerCount: layerCount, rowSize: rowSize, capacity: minimumCapacity, element: element)
            grown.length = length
            for layer in 0..<layerCount {
                for kv in 0..<2 {
                    let from = (layer * 2 + kv) * capacity * rowSize
                    let to = (layer * 2 + kv) * minimumCapacity * rowSize
                    switch element {
                    case .float32:
                        grown.floats.replaceSubrange(to..<to + length * rowSize, with: floats[from..<from + length * rowSize])
                    case .bfloat16:
                        grown.halves.replaceSubrange(to..<to + length * rowSize, with: halves[from..<from + length * rowSize])
                    }
                }
            }
            self = grown
        }

        /// Makes room for `count` more positions; grows by at least half the capacity so that
        /// a stream stepping past its reservation reallocates rarely.
        mutating func ensureRoom(for count: Int) {
            let needed = length + count
            if needed > capacity { reserveCapacity(max(needed, capacity + capacity / 2, 16)) }
        }

        /// Keys and values of `layer`, each [capacity, kvHeads, headDim] (valid rows 0..<length).
        mutating func withLayer<R>(_ layer: Int, _ body: (LayerRows) -> R) -> R {
            precondition(layer >= 0 && layer < layerCount, "KVCache: layer \(layer) out of range")
            let offset = layer * 2 * capacity * rowSize
            let kvSize = capacity * rowSize
            switch element {
            case .float32:
                return floats.withUnsafeMutableBufferPointer { p in
                    let keys = p.baseAddress! + offset
                    return body(.float32(keys: keys, values: keys + kvSize))
                }
            case .bfloat16:
                return halves.withUnsafeMutableBufferPointer { p in
                    let keys = p.baseAddress! + offset
                    return body(.bfloat16(keys: keys, values: keys + kvSize))
                }
            }
        }

        /// Keys (kv 0) or values (kv 1) of `layer` for positions 0..<length, as f32 (bfloat16
        /// widened exactly).  // [length, Hkv, D]
        public func rows(layer: Int, kv: Int) -> [Float] {
            precondition(layer >= 0 && layer < layerCount && (kv == 0 || kv == 1), "KVCache: bad layer/kv")
            let from = (layer * 2 + kv) * capacity * rowSize
            let count = length * rowSize
            switch element {
            case .float32:
                return Array(floats[from..<from + count])
            case .bfloat16:
                return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                    halves.withUnsafeBufferPointer { p in
                        if count > 0 { _ = SkinnyLinear.widen(bfloat16: p.baseAddress! + from, into: out.baseAddress!, count: count) }
                    }
                    initialized = count
                }
            }
        }

        /// Overwrites positions 0..<rows.count/rowSize of `layer`'s keys or values (rounded to
        /// bfloat16, nearest even, in a bfloat16 cache).
        mutating func setRows(layer: Int, kv: Int, _ rows: ArraySlice<Float>) {
            precondition(rows.count % rowSize == 0 && rows.count / rowSize <= capacity, "KVCache: rows do not fit")
            let from = (layer * 2 + kv) * capacity * rowSize
            switch element {
            case .float32:
                floats.replaceSubrange(from..<from + rows.count, with: rows)
            case .bfloat16:
                let count = rows.count
                if count == 0 { return }
                rows.withUnsafeBufferPointer { source in
                    halves.withUnsafeMutableBufferPointer { p in
                        _ = SkinnyLinear.round(source.baseAddress!, toBFloat16: p.baseAddress! + from, count: count)
                    }
                }
            }
        }
    }

    /// Scratch memory for one forward call over `rows` rows. Contents never survive a call,
    /// so a copy never needs the data: a shared or too small buffer is simply replaced, which
    /// keeps `State` a plain value while steps allocate nothing in steady state.
    public struct Workspace: Sendable {
        private var storage: ScratchStorage?

        public init() {}

        /// A pointer to at least `count` floats that no other value references.
        mutating func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
            if !isKnownUniquelyReferenced(&storage) || storage!.count < count {
                storage = ScratchStorage(count: max(count, 1))
            }
            return storage!.base
        }
    }
}

/// Heap floats owned by exactly one `Workspace` whenever they are written to (see
/// `Workspace.floats`), so handing the reference across threads with its owner is safe.
final class ScratchStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: 0, count: count)
    }

    deinit { base.deallocate() }
}

extension FlowLM {
    /// Bytes one stream's state takes at most: KV caches of `positions` positions (voice,
    /// prompt and frames of one chunk) and the scratch of a prompt call of `promptRows` rows
    /// over them. What an engine budgets per stream.
    public func stateBytes(positions: Int, promptRows: Int) -> Int {
        let l = dimensions.latentDim
        let cacheBytes = dimensions.layerCount * 2 * positions * dimensions.keyValueDim * transformer.cacheElement.byteCount
        let scratch = FlowTransformer.Buffers.floatCount(
            rows: promptRows, scoreCount: transformer.scoreCount(rows: promptRows, keys: positions), transformer: transformer)
            + stepRowFloats
            + FlowHead.floatCount(rows: 1, flowDim: flowHead.flowDim, latentDim: l, frequencyDim: flowHead.frequencyDim)
        return cacheBytes + scratch * MemoryLayout<Float>.size
    }
}
