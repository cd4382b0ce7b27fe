import Kernels
import Testing
@testable import PocketTTS

/// The FlowLM KV cache's element per precision: f32 under `exact` (the parity tests), bfloat16
/// under the reduced precisions (half the bytes; `stateBytes` counts them).
@Suite struct FlowLMCacheTests {
    typealias S = FlowLMTestSupport

    @Test(arguments: Precision.allCases)
    func cacheElementFollowsThePrecision(precision: Precision) throws {
        let m = try FlowLMPrecisionTests.flowLM(precision)
        let element: FlowLM.KVCache.Element = precision == .exact ? .float32 : .bfloat16
        #expect(m.transformer.cacheElement == element)
        var state = m.makeState(capacity: 4)
        #expect(state.cache.element == element)
        try m.prompt(textTokens: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4], state: &state)
        #expect(state.cache.element == element, "kept when the cache grows")
        let rows = (0..<S.tiny.layerCount).flatMap { layer in (0..<2).flatMap { state.cache.rows(layer: layer, kv: $0) } }
        #expect(rows.count == S.tiny.layerCount * 2 * 20 * S.tiny.modelDim)
        let lowBitsZero = rows.allSatisfy { $0.bitPattern & 0xFFFF == 0 }
        #expect(lowBitsZero == (precision != .exact), "rows stored as bfloat16 only in the reduced precisions")
    }

    /// Each further position costs layers · 2 · d cache elements of the precision's size, plus
    /// a step's attention scores (one per head with the one-query kernel, one with BLAS).
    @Test(arguments: Precision.allCases)
    func stateBytesCountTheElementSize(precision: Precision) throws {
        let m = try FlowLMPrecisionTests.flowLM(precision)
        let (layers, d, heads) = (S.tiny.layerCount, S.tiny.modelDim, m.transformer.attention.heads)
        let perPosition = precision == .exact ? layers * 2 * d * 4 + 4 : layers * 2 * d * 2 + heads * 4
        #expect(m.stateBytes(positions: 110, promptRows: 1) - m.stateBytes(positions: 100, promptRows: 1) == 10 * perPosition)
    }
}
