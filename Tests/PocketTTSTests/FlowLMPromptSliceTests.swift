import Foundation
import Kernels
import Testing
@testable import Kernels
@testable import PocketTTS

/// A prompt's values do not depend on how it is sliced nor on which thread runs which piece
/// of a call: the engine slices prompts by what other streams are doing, and its pool's helper
/// takes pieces as it is free, so anything else would make audio depend on timing.
@Suite struct FlowLMPromptSliceTests {
    typealias S = FlowLMTestSupport

    /// Wide enough for prompts to split over two threads (16 rows and more), two layers so
    /// attention feeds the second layer's keys and values.
    static let dims = FlowLMDimensions(
        modelDim: 128, headCount: 4, layerCount: 2, feedForwardDim: 512, maxPeriod: 10_000,
        vocabularySize: 512, latentDim: 32, flowDim: 48, flowDepth: 2, speakerDim: 32)

    let model: FlowLM
    let base: FlowLM.State  // a voice prompt of 9 rows
    let tokens: [Int]  // [47]

    init() throws {
        model = try S.randomModel(Self.dims, seed: 3)
        var rng = SplitMix64(seed: 11)
        var state = model.makeState(capacity: 0)
        try model.prompt(conditioning: Tensor.random([9, Self.dims.modelDim], using: &rng), state: &state)
        base = state
        tokens = (0..<47).map { _ in Int.random(in: 0..<Self.dims.vocabularySize, using: &rng) }
    }

    /// Keys and values of every layer after prompting `tokens` in slices of the given sizes,
    /// sharing the pieces with `pool`.
    func caches(slices: [Int], pool: WorkerPool? = nil) throws -> [[UInt32]] {
        var state = base
        var i = 0
        for n in slices {
            try model.prompt(textTokens: Array(tokens[i..<i + n]), state: &state, pool: pool)
            i += n
        }
        #expect(i == tokens.count)
        return (0..<Self.dims.layerCount).flatMap { layer in
            (0..<2).map { kv in state.cache.rows(layer: layer, kv: kv).map(\.bitPattern) }
        }
    }

    static func slices(_ total: Int, size: Int) -> [Int] {
        stride(from: 0, to: total, by: size).map { min(size, total - $0) }
    }

    /// Whole (47 rows: split over a pool), in micro-batches, in the engine's slices of 16,
    /// in single tokens and in uneven pieces, with and without a pool: the same keys and values,
    /// bit for bit.
    @Test(.enabled(if: SkinnyLinear.hasAVX512, "bit-exact batching and worker splits need the AVX-512 kernels; elsewhere OpenBLAS blocks by row count")) func everySlicingGivesTheSameStateBitForBit() throws {
        try #require(Linear.usesCKernels(rows: 47), "needs AVX-512 (else BLAS runs prompts, rows not independent)")
        let pool = WorkerPool()
        let whole = try caches(slices: [47], pool: pool)
        #expect(try caches(slices: [47]) == whole, "no pool")
        for slices in [Self.slices(47, size: 16), Self.slices(47, size: 1), Self.slices(47, size: 3), [5, 30, 1, 11]] {
            #expect(try caches(slices: slices, pool: pool) == whole, "slices \(slices)")
        }
    }

    /// The same prompt with the pieces of every split call shared differently between the
    /// caller and the pool's helper: one thread only, the helper held back (the caller takes
    /// nearly everything), the caller held back (the helper takes nearly everything).
    @Test(.enabled(if: SkinnyLinear.hasAVX512, "bit-exact batching and worker splits need the AVX-512 kernels; elsewhere OpenBLAS blocks by row count")) func everyShareOfPiecesGivesTheSameStateBitForBit() throws {
        try #require(Linear.splitsOutputs(rows: 47), "needs AVX-512 (prompts split over two threads)")
        let reference = try caches(slices: [47], pool: WorkerPool(helpers: 0))
        let slowWorker = PieceLog(holdBack: true)
        let caller = try caches(slices: [47], pool: WorkerPool(helpers: 1, pieceHook: slowWorker.hook))
        let slowCaller = PieceLog(holdBack: false)
        let worker = try caches(slices: [47], pool: WorkerPool(helpers: 1, pieceHook: slowCaller.hook))
        #expect(caller == reference)
        #expect(worker == reference)
        // The shares really differed: the held-back side ran fewer pieces.
        #expect(slowWorker.workerPieces < slowWorker.callerPieces)
        #expect(slowCaller.workerPieces > slowCaller.callerPieces)
    }
}

/// Counts who ran the pieces of each job; holds back one side: the worker (`holdBack`) or the
/// caller waits before each piece until the other side has run one since, or 0.5 s, so the
/// other side takes most pieces. Waiting is bounded: a job always completes.
private final class PieceLog: @unchecked Sendable {  // behind `condition`
    private let condition = NSCondition()
    private let holdBack: Bool  // true: hold back the worker, false: the caller
    private var counts = [0, 0]  // caller, worker
    private var otherSideRuns = 0

    init(holdBack: Bool) { self.holdBack = holdBack }

    var callerPieces: Int { condition.lock(); defer { condition.unlock() }; return counts[0] }
    var workerPieces: Int { condition.lock(); defer { condition.unlock() }; return counts[1] }

    var hook: @Sendable (Int, Bool) -> Void {
        { [self] piece, onWorker in
            condition.lock()
            defer { condition.unlock() }
            if onWorker == holdBack, piece > 0 {
                let seen = otherSideRuns
                let deadline = Date(timeIntervalSinceNow: 0.5)
                while otherSideRuns == seen, condition.wait(until: deadline) {}
            }
            counts[onWorker ? 1 : 0] += 1
            if onWorker != holdBack {
                otherSideRuns += 1
                condition.broadcast()
            }
        }
    }
}
