import Kernels

/// Text prompts of several streams in one pass (the producer's prompts that arrive together).
extension FlowLM {
    /// Whether `prompt(textTokens:states:workspace:)` gives every stream the values of its own
    /// `prompt(textTokens:state:)`: in the reduced precisions, whose linear kernels compute each
    /// row alone at every row count (int8: exact integer sums per row; bf16: the same sums in the
    /// same order). `exact` runs OpenBLAS sgemm from 64 rows, whose sums depend on the call, so
    /// its prompts stay one stream per call.
    public var promptsBatchAcrossStreams: Bool { transformer.layers[0].inProjection.arithmetic != .f32 }

    /// Feeds T text tokens to each of B streams in one transformer pass (rows of all streams in
    /// every linear layer; attention per stream against its own cache): `tokens[b]` to
    /// `states[b]`, every list the same length T. Each stream gets the values of
    /// `prompt(textTokens:state:)` when `promptsBatchAcrossStreams`. Shares the pieces of its
    /// layers with `pool` (as `prompt(textTokens:state:pool:)`). Throws before computing anything
    /// if a token is out of range. Allocates only when `workspace` or a cache must grow.
    public func prompt(
        textTokens tokens: [[Int]], states: UnsafeMutableBufferPointer<State>, workspace: inout Workspace,
        pool: WorkerPool? = nil
    ) throws(FlowLMError) {
        precondition(tokens.count == states.count, "FlowLM.prompt: \(tokens.count) token lists for \(states.count) states")
        guard let T = tokens.first?.count, T > 0 else { return }
        precondition(tokens.allSatisfy { $0.count == T }, "FlowLM.prompt: token lists of different lengths")
        for list in tokens { try checkTokens(list) }
        let (B, d) = (states.count, dimensions.modelDim)
        var keys = 0
        for b in 0..<B {
            states[b].cache.ensureRoom(for: T)
            keys = max(keys, states[b].cache.length + T)
        }
        let buffers = prepare(&workspace, rows: B * T, streams: 1, scoreCount: transformer.scoreCount(rows: T, keys: keys),
                              pool: pool)
        textEmbeddingTable.withUnsafeBufferPointer { table in
            for b in 0..<B {
                for (t, token) in tokens[b].enumerated() {
                    (buffers.transformer.x + (b * T + t) * d).update(from: table.baseAddress! + token * d, count: d)
                }
            }
        }
        transformer.forward(streams: states, rowsPerStream: T, buffers: buffers.transformer)
    }
}
