import Foundation
import Testing
@testable import Kernels

/// Prompts' linear layers split their outputs across the caller's pool: bit-identical to one thread.
struct WorkerPoolTests {
    /// The serial result: one full CKernels call on the calling thread.
    static func serial(_ layer: Linear, _ x: [Float], rows: Int, y0: [Float], accumulate: Bool) -> [Float] {
        var y = y0
        y.withUnsafeMutableBufferPointer { yp in
            x.withUnsafeBufferPointer { xp in
                (layer.bias ?? []).withUnsafeBufferPointer { b in
                    let bias = layer.bias == nil ? nil : b.baseAddress
                    switch layer.weights {
                    case .bfloat16(let w) where layer.arithmetic == .bf16:
                        SkinnyLinear.forwardBF16(xp.baseAddress!, rows: rows, inFeatures: layer.inFeatures, weight: w,
                                                 outFeatures: layer.outFeatures, bias: bias, into: yp.baseAddress!,
                                                 accumulate: accumulate)
                    case .int8(let q):
                        SkinnyLinear.forwardInt8(xp.baseAddress!, rows: rows, weight: q, bias: bias, into: yp.baseAddress!,
                                                 accumulate: accumulate)
                    case .float32(let w):
                        SkinnyLinear.forward(xp.baseAddress!, rows: rows, inFeatures: layer.inFeatures, weight: w,
                                             outFeatures: layer.outFeatures, bias: bias, into: yp.baseAddress!,
                                             accumulate: accumulate)
                    case .bfloat16(let w):
                        SkinnyLinear.forward(xp.baseAddress!, rows: rows, inFeatures: layer.inFeatures, bfloat16Weight: w,
                                             outFeatures: layer.outFeatures, bias: bias, into: yp.baseAddress!,
                                             accumulate: accumulate)
                    }
                }
            }
        }
        return y
    }

    static func layers(inF: Int, outF: Int, seed: UInt64) -> [Linear] {
        let raw = randomArray(inF * outF, seed: seed)
        let bits = raw.map { UInt16($0.bitPattern >> 16) }
        let bias = randomArray(outF, seed: seed + 1)
        return [Linear(weights: .float32(raw), bias: bias, inFeatures: inF, outFeatures: outF),
                Linear(weights: .bfloat16(bits), bias: nil, inFeatures: inF, outFeatures: outF),
                Linear(weights: .bfloat16(bits), bias: bias, inFeatures: inF, outFeatures: outF, arithmetic: .bf16),
                Linear(weights: .float32(raw), bias: bias, inFeatures: inF, outFeatures: outF, arithmetic: .int8)]
    }

    @Test(.enabled(if: SkinnyLinear.hasAVX512, "bit-exact batching and worker splits need the AVX-512 kernels; elsewhere OpenBLAS blocks by row count"), arguments: [16, 17, 43])
    func splitOutputsEqualOneThreadExactly(rows: Int) throws {
        try #require(Linear.usesCKernels(rows: rows), "needs AVX-512 (else BLAS runs prompts)")
        #expect(Linear.splitsOutputs(rows: rows))
        let pool = WorkerPool()
        for (inF, outF) in [(64, 1024), (100, 250), (33, 49)] {
            for layer in Self.layers(inF: inF, outF: outF, seed: UInt64(rows * outF)) {
                let x = randomArray(rows * inF, seed: 9)
                let y0 = randomArray(rows * outF, seed: 10)
                for accumulate in [false, true] {
                    var y = accumulate ? y0 : [Float](repeating: .nan, count: rows * outF)
                    layer.forward(x, rows: rows, into: &y, accumulate: accumulate, pool: pool)
                    let want = Self.serial(layer, x, rows: rows, y0: y0, accumulate: accumulate)
                    #expect(y.map(\.bitPattern) == want.map(\.bitPattern), "rows \(rows) \(inF)→\(outF) acc \(accumulate)")
                }
            }
        }
    }

    /// Several threads at once on one pool: one gets the helper, the others run every piece
    /// themselves; every result is still the serial one.
    @Test(.enabled(if: SkinnyLinear.hasAVX512, "bit-exact batching and worker splits need the AVX-512 kernels; elsewhere OpenBLAS blocks by row count")) func concurrentCallersAllGetTheSerialResult() {
        let (rows, inF, outF) = (20, 96, 480)
        let layer = Self.layers(inF: inF, outF: outF, seed: 5)[1]
        let inputs = (0..<4).map { randomArray(rows * inF, seed: 50 + UInt64($0)) }
        let want = inputs.map { Self.serial(layer, $0, rows: rows, y0: [Float](repeating: 0, count: rows * outF), accumulate: false) }
        let results = Results()
        let pool = WorkerPool()
        DispatchQueue.concurrentPerform(iterations: inputs.count * 8) { i in
            let k = i % inputs.count
            var y = [Float](repeating: .nan, count: rows * outF)
            layer.forward(inputs[k], rows: rows, into: &y, pool: pool)
            results.record(k, matches: y.map(\.bitPattern) == want[k].map(\.bitPattern))
        }
        #expect(results.allMatched)
    }

    /// Every piece runs exactly once, whatever the count and the helpers (none, one, three),
    /// and with no pool at all.
    @Test(arguments: [0, 1, 2, 3, 17], [0, 1, 3])
    func everyPieceRunsOnce(count: Int, helpers: Int) {
        let pool = WorkerPool(helpers: helpers)
        let tally = Tally(count: count)
        pool.parallelFor(count) { i in tally.add(i, thread: Thread.current) }
        #expect(tally.runs == [Int](repeating: 1, count: count))
        let alone = Tally(count: count)
        WorkerPool?.none.parallelFor(count) { i in alone.add(i, thread: Thread.current) }
        #expect(alone.runs == [Int](repeating: 1, count: count) && alone.threadCount <= 1)
    }

    /// Idle helpers take pieces: pieces that each wait for all the others to start must run on
    /// as many threads as there are pieces (the caller and every helper).
    @Test(arguments: [1, 3])
    func idleHelpersTakePieces(helpers: Int) {
        let pool = WorkerPool(helpers: helpers)  // this test's own: never busy
        let pieces = helpers + 1
        let tally = Tally(count: pieces)
        pool.parallelFor(pieces) { i in
            tally.add(i, thread: Thread.current)
            _ = tally.waitForStarts(pieces, timeout: 10)
        }
        #expect(tally.runs == [Int](repeating: 1, count: pieces))
        #expect(tally.threadCount == pieces)
    }

    /// A pool with no helpers runs every piece on the caller, in order.
    @Test func noHelpersRunEverythingOnTheCaller() {
        let log = PieceOrder()
        let pool = WorkerPool(helpers: 0, pieceHook: { piece, onHelper in log.add(piece, onHelper: onHelper) })
        pool.parallelFor(5) { _ in }
        #expect(log.pieces == [0, 1, 2, 3, 4] && !log.anyOnHelper)
    }

    /// Releasing a pool ends its helpers: the helper thread that ran a piece finishes.
    @Test func releasingThePoolEndsItsHelpers() {
        let caller = Thread.current
        let seen = HelperThread()
        do {
            let pool = WorkerPool(helpers: 1)
            let tally = Tally(count: 2)
            pool.parallelFor(2) { i in
                tally.add(i, thread: Thread.current)
                if Thread.current !== caller { seen.set(Thread.current) }
                _ = tally.waitForStarts(2, timeout: 10)
            }
        }
        guard let helper = seen.thread else {
            Issue.record("no piece ran on the helper")
            return
        }
        let deadline = Date(timeIntervalSinceNow: 10)
        while !helper.isFinished, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(helper.isFinished)
    }
}

/// The helper thread a test saw.
private final class HelperThread: @unchecked Sendable {  // behind `lock`
    private let lock = NSLock()
    private var seen: Thread?
    func set(_ thread: Thread) { lock.lock(); seen = thread; lock.unlock() }
    var thread: Thread? { lock.lock(); defer { lock.unlock() }; return seen }
}

/// Which pieces ran, how often, on how many threads.
private final class Tally: @unchecked Sendable {  // behind `condition`
    private let condition = NSCondition()
    private var counts: [Int]
    private var threads: [ObjectIdentifier] = []
    init(count: Int) { counts = [Int](repeating: 0, count: count) }

    func add(_ i: Int, thread: Thread) {
        condition.lock()
        counts[i] += 1
        if !threads.contains(ObjectIdentifier(thread)) { threads.append(ObjectIdentifier(thread)) }
        condition.broadcast()
        condition.unlock()
    }

    func waitForStarts(_ n: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while counts.reduce(0, +) < n { if !condition.wait(until: deadline) { return false } }
        return true
    }

    var runs: [Int] { condition.lock(); defer { condition.unlock() }; return counts }
    var threadCount: Int { condition.lock(); defer { condition.unlock() }; return threads.count }
}

/// The pieces in the order they ran, and whether any ran on a helper.
private final class PieceOrder: @unchecked Sendable {  // behind `lock`
    private let lock = NSLock()
    private var order: [Int] = []
    private var onHelper = false
    func add(_ piece: Int, onHelper: Bool) {
        lock.lock()
        order.append(piece)
        self.onHelper = self.onHelper || onHelper
        lock.unlock()
    }
    var pieces: [Int] { lock.lock(); defer { lock.unlock() }; return order }
    var anyOnHelper: Bool { lock.lock(); defer { lock.unlock() }; return onHelper }
}

/// Thread-safe tally of concurrent results.
private final class Results: @unchecked Sendable {  // behind `lock`
    private let lock = NSLock()
    private var mismatches = 0
    private var seen = 0
    func record(_ k: Int, matches: Bool) {
        lock.lock()
        seen += 1
        if !matches { mismatches += 1 }
        lock.unlock()
    }
    var allMatched: Bool {
        lock.lock()
        defer { lock.unlock() }
        return mismatches == 0 && seen > 0
    }
}

/// Prompts' attention runs in head pieces on the pool: bit-identical to all heads at once.
struct AttentionHeadPiecesTests {
    @Test func headPiecesOnTwoThreadsEqualAllHeadsExactly() {
        let (H, D, Tq, Tk) = (8, 16, 20, 50)
        let attention = Attention(heads: H, headDim: D)
        let q = randomArray(Tq * H * D, seed: 1), k = randomArray(Tk * H * D, seed: 2), v = randomArray(Tk * H * D, seed: 3)
        var whole = [Float](repeating: .nan, count: Tq * H * D)
        var scratch = [Float](repeating: 0, count: 3 * Tq * Tk)
        attention.forward(queries: q, queryCount: Tq, queryStart: Tk - Tq, keys: k, values: v, keyCount: Tk,
                          keyStart: 0, into: &whole, scratch: &scratch)
        var pieces = [Float](repeating: .nan, count: Tq * H * D)
        pieces.withUnsafeMutableBufferPointer { out in
            scratch.withUnsafeMutableBufferPointer { s in
                let ranges = [0..<3, 3..<5, 5..<8]
                let pool = WorkerPool()
                pool.parallelFor(ranges.count) { i in
                    attention.forward(queries: q, queryCount: Tq, queryStart: Tk - Tq, keys: k, values: v, keyCount: Tk,
                                      keyStart: 0, into: out.baseAddress!, scratch: s.baseAddress! + i * Tq * Tk,
                                      heads: ranges[i])
                }
            }
        }
        #expect(pieces.map(\.bitPattern) == whole.map(\.bitPattern))
    }
}
