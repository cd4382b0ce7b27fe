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
        public let layerCount: Int
        public let rowSize: Int  // heads · headDim
        public private(set) var capacity: Int
        public internal(set) var length: Int
        /// [layers, 2 (k, v), capacity, heads, headDim]; rows >= length are unspecified.
        private var storage: [Float]

        init(layerCount: Int, rowSize: Int, capacity: Int) {
            precondition(capacity >= 0, "KVCache: negative capacity")
            self.layerCount = layerCount
            self.rowSize = rowSize
            self.capacity = capacity
            self.length = 0
            self.storage = [Float](repeating: 0, count: layerCount * 2 * capacity * rowSize)
        }

        /// Grows to at least `minimumCapacity` positions, keeping the valid rows.
        public mutating func reserveCapacity(_ minimumCapacity: Int) {
            if minimumCapacity <= capacity { return }
            var grown = KVCache(layerCount: layerCount, rowSize: rowSize, capacity: minimumCapacity)
            grown.length = length
            for layer in 0..<layerCount {
                for kv in 0..<2 {
                    let from = (layer * 2 + kv) * capacity * rowSize
                    let to = (layer * 2 + kv) * minimumCapacity * rowSize
                    grown.storage.replaceSubrange(to..<to + length * rowSize,
                                                  with: storage[from..<from + length * rowSize])
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

        /// Keys and values of `layer`, each [capacity, heads, headDim] (valid rows 0..<length).
        mutating func withLayer<R>(
            _ layer: Int, _ body: (_ keys: UnsafeMutablePointer<Float>, _ values: UnsafeMutablePointer<Float>) -> R
        ) -> R {
            precondition(layer >= 0 && layer < layerCount, "KVCache: layer \(layer) out of range")
            let (cap, n) = (capacity, rowSize)
            return storage.withUnsafeMutableBufferPointer { p in
                let keys = p.baseAddress! + layer * 2 * cap * n
                return body(keys, keys + cap * n)
            }
        }

        /// Keys (kv 0) or values (kv 1) of `layer` for positions 0..<length.  // [length, H, D]
        public func rows(layer: Int, kv: Int) -> [Float] {
            precondition(layer >= 0 && layer < layerCount && (kv == 0 || kv == 1), "KVCache: bad layer/kv")
            let from = (layer * 2 + kv) * capacity * rowSize
            return Array(storage[from..<from + length * rowSize])
        }

        /// Overwrites positions 0..<rows.count/rowSize of `layer`'s keys or values.
        mutating func setRows(layer: Int, kv: Int, _ rows: ArraySlice<Float>) {
            precondition(rows.count % rowSize == 0 && rows.count / rowSize <= capacity, "KVCache: rows do not fit")
            let from = (layer * 2 + kv) * capacity * rowSize
            storage.replaceSubrange(from..<from + rows.count, with: rows)
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
        let (d, f, l) = (dimensions.modelDim, dimensions.feedForwardDim, dimensions.latentDim)
        let cache = dimensions.layerCount * 2 * positions * d
        let scratch = FlowTransformer.Buffers.floatCount(
            rows: promptRows, scoreCount: transformer.scoreCount(rows: promptRows, keys: positions),
            modelDim: d, feedForwardDim: f)
            + l + d + FlowHead.floatCount(rows: 1, flowDim: flowHead.flowDim, latentDim: l, frequencyDim: flowHead.frequencyDim)
        return (cache + scratch) * MemoryLayout<Float>.size
    }
}
