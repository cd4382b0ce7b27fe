import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// `FlowLM.prompt(textTokens:states:workspace:)`: several streams' prompts in one pass give each
/// stream the values of its own prompt, bit for bit, in the reduced precisions.
struct FlowLMPromptBatchTests {
    @Test(arguments: [Precision.int8, .bf16])
    func batchedPromptsEqualSeparateOnesBitForBit(precision: Precision) throws {
        let m = try FlowLMPrecisionTests.flowLM(precision)
        #expect(m.promptsBatchAcrossStreams)
        // Three streams with different histories (0, 5 and 11 positions), 7 new tokens each.
        let histories = [[Int](), [2, 7, 1, 8, 2], [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]]
        let tokens = [[1, 2, 3, 4, 5, 6, 7], [9, 9, 8, 8, 7, 7, 6], [4, 3, 2, 1, 0, 1, 2]]
        var alone: [FlowLM.State] = []
        var together: [FlowLM.State] = []
        for history in histories {
            var state = m.makeState(capacity: 4)  // grows during the prompt
            if !history.isEmpty { try m.prompt(textTokens: history, state: &state) }
            together.append(state)
            alone.append(state)
        }
        for b in alone.indices { try m.prompt(textTokens: tokens[b], state: &alone[b]) }
        var workspace = FlowLM.Workspace()
        try together.withUnsafeMutableBufferPointer { try m.prompt(textTokens: tokens, states: $0, workspace: &workspace) }
        for b in alone.indices {
            #expect(together[b].length == alone[b].length)
            for layer in 0..<m.dimensions.layerCount {
                for kv in 0..<2 {
                    #expect(together[b].cache.rows(layer: layer, kv: kv).map(\.bitPattern)
                            == alone[b].cache.rows(layer: layer, kv: kv).map(\.bitPattern), "stream \(b) layer \(layer)")
                }
            }
        }
    }

    @Test func exactPromptsOneStreamPerCall() throws {
        #expect(!(try FlowLMPrecisionTests.flowLM(.exact)).promptsBatchAcrossStreams)
    }

    @Test func aBadTokenThrowsBeforeAnyStateChanges() throws {
        let m = try FlowLMPrecisionTests.flowLM(.int8)
        var states = [m.makeState(capacity: 8), m.makeState(capacity: 8)]
        var workspace = FlowLM.Workspace()
        #expect(throws: FlowLMError.self) {
            try states.withUnsafeMutableBufferPointer {
                try m.prompt(textTokens: [[1, 2], [3, m.dimensions.vocabularySize + 1]], states: $0, workspace: &workspace)
            }
        }
        #expect(states.allSatisfy { $0.length == 0 })
    }
}
