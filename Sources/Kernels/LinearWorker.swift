// LinearWorker: one persistent helper thread that shares out the pieces of a prompt's layers.
import Foundation

/// A second thread for wide jobs: `parallelFor` runs the pieces of a job on the calling thread
/// and on the worker, each piece once, whoever is free takes the next (so a worker slowed by
/// another process only takes fewer pieces), and returns when all have finished. `Linear`
/// splits the output columns of prompts (`Linear.parallelMinimumRows` rows and more) this way,
/// so each thread reads part of the weights; single-row steps stay on the caller, leaving the
/// other core to Mimi.
///
/// The worker waits on a condition variable while idle (no polling). It serves one caller at a
/// time: a caller that finds it busy (another thread's prompt) runs every piece itself, so
/// nothing ever waits for a job that is not its own.
///
/// Results never depend on who runs what: a job's pieces are fixed by its caller (boundaries
/// from the sizes alone), and each piece computes its outputs with the same code whichever
/// thread runs it and whatever else runs beside it. Tests force different shares of the
/// pieces (`scoped`, `pieceHook`) and compare bit for bit.
public final class LinearWorker: @unchecked Sendable {  // all state behind `condition`
    /// The process-wide worker (its thread starts on first use and never ends).
    public static let shared = LinearWorker()

    /// The worker the kernels use: `shared`, or in tests one set for a scope.
    public static var current: LinearWorker { scoped ?? shared }
    /// Test hook: replaces `shared` for the task's scope (`$scoped.withValue`).
    @TaskLocal static var scoped: LinearWorker?

    /// Test hook: called before each piece with the piece and whether the worker thread runs it.
    private let pieceHook: (@Sendable (_ piece: Int, _ onWorker: Bool) -> Void)?
    /// False: every piece runs on the caller (a test's one-thread reference).
    private let usesThread: Bool

    private let condition = NSCondition()
    private var started = false
    private var busy = false  // a caller owns the worker
    private var job: ((Int) -> Void)?  // the current job's pieces, while `busy`
    private var next = 0  // the next piece to take
    private var count = 0  // pieces in the job
    private var workerRunning = false  // the worker is running a piece of the job

    init(usesThread: Bool = true, pieceHook: (@Sendable (_ piece: Int, _ onWorker: Bool) -> Void)? = nil) {
        self.usesThread = usesThread
        self.pieceHook = pieceHook
    }

    /// Runs body(0), …, body(count − 1), each once, on the calling thread and the worker
    /// thread (or all on the calling thread when the worker is busy), in any order; returns
    /// when every call has finished. The pieces must be independent.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        precondition(count >= 0, "LinearWorker: negative count")
        condition.lock()
        if busy || count < 2 || !usesThread {
            condition.unlock()
            for i in 0..<count {
                pieceHook?(i, false)
                body(i)
            }
            return
        }
        busy = true
        if !started {
            started = true
            let thread = Thread { [unowned self] in self.loop() }
            thread.name = "kernels-linear"
            thread.start()
        }
        withoutActuallyEscaping(body) { body in
            (job, next, self.count) = (body, 0, count)
            condition.broadcast()
            while next < self.count {
                let i = next
                next += 1
                condition.unlock()
                pieceHook?(i, false)
                body(i)
                condition.lock()
            }
            job = nil  // every piece is taken: a worker waking now finds nothing
            while workerRunning { condition.wait() }
            busy = false
            condition.unlock()
        }
    }

    /// The worker thread: takes pieces while a job has some left, then waits.
    private func loop() {
        condition.lock()
        while true {
            while job == nil || next >= count { condition.wait() }
            if let work = job {
                workerRunning = true
                while next < count {
                    let i = next
                    next += 1
                    condition.unlock()
                    pieceHook?(i, true)
                    work(i)
                    condition.lock()
                }
                workerRunning = false
                condition.broadcast()
            }
        }
    }
}

extension Linear {
    /// From this many rows on (prompts), the CKernels path shares its output columns between
    /// the calling thread and `LinearWorker.shared`; fewer rows (steps) run on the caller alone.
    public static let parallelMinimumRows = 16

    /// Pieces per split call: about this many blocks of outputs, each a multiple of 24 outputs
    /// (CKernels' block multiple: no single-output tails).
    static let splitPieces = 8
    static let splitMultiple = 24

    /// True when `forward` over `rows` rows shares its outputs between two threads.
    public static func splitsOutputs(rows: Int) -> Bool {
        rows >= parallelMinimumRows && usesCKernels(rows: rows)
    }

    /// Runs `body` over all outputs, or over blocks of them on two threads (prompts). Every
    /// output is computed by the same arithmetic either way.
    func splitOutputs(rows: Int, _ body: (Range<Int>) -> Void) {
        let block = max(Linear.splitMultiple, outFeatures / Linear.splitPieces / Linear.splitMultiple * Linear.splitMultiple)
        guard rows >= Linear.parallelMinimumRows, block < outFeatures else {
            body(0..<outFeatures)
            return
        }
        let n = outFeatures
        LinearWorker.current.parallelFor((n + block - 1) / block) { i in body(i * block..<min(n, (i + 1) * block)) }
    }
}
