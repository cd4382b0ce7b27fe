// WorkerPool: helper threads that share out the pieces of a prompt's layers, owned by whoever
// runs the model (the engine, a CLI command, a test) and passed down with each call.
import Foundation

/// Helper threads for wide jobs: `parallelFor` runs the pieces of a job on the calling thread
/// and on the helpers, each piece once, whoever is free takes the next (so a helper slowed by
/// another process only takes fewer pieces), and returns when all have finished. `Linear`
/// splits the output columns of prompts (`Linear.parallelMinimumRows` rows and more) this way
/// when its caller passes a pool (`forward(…, pool:)`), so each thread reads part of the
/// weights; single-row steps stay on the caller, leaving the other cores to Mimi.
///
/// The owner creates the pool and hands it to the calls that may use it, as ggml hands its
/// threads to a graph computation: nothing global, no thread at import. The helpers start at
/// the first job, wait on a condition variable while idle (no polling) and end when the pool
/// is released. A pool serves one caller at a time: a caller that finds it busy (another
/// thread's prompt) runs every piece itself, so nothing ever waits for a job that is not its
/// own. Passing no pool (`nil`) runs every piece on the caller.
///
/// Results never depend on who runs what: a job's pieces are fixed by its caller (boundaries
/// from the sizes alone, the same with or without a pool), and each piece computes its outputs
/// with the same code whichever thread runs it and whatever else runs beside it. Tests force
/// different shares of the pieces (`helpers: 0`, `pieceHook`) and compare bit for bit.
public final class WorkerPool: Sendable {
    /// Threads besides the caller's (0: every piece runs on the caller).
    public let helperCount: Int
    private let crew: Crew

    /// A pool of `helpers` threads besides the caller's; they start at the first job.
    public convenience init(helpers: Int = 1) {
        self.init(helpers: helpers, pieceHook: nil)
    }

    /// `pieceHook` (tests): called before each piece with the piece and whether a helper runs it.
    init(helpers: Int, pieceHook: (@Sendable (_ piece: Int, _ onHelper: Bool) -> Void)?) {
        precondition(helpers >= 0, "WorkerPool: negative helper count")
        self.helperCount = helpers
        self.crew = Crew(helpers: helpers, pieceHook: pieceHook)
    }

    /// The helpers finish the job in hand (none: the owner's calls have returned) and end.
    deinit { crew.dismiss() }

    /// Runs body(0), …, body(count − 1), each once, on the calling thread and the helpers (or
    /// all on the calling thread when the pool is busy), in any order; returns when every call
    /// has finished. The pieces must be independent.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        crew.parallelFor(count, body)
    }
}

extension Optional where Wrapped == WorkerPool {
    /// `parallelFor` on the pool, or with no pool every piece in order on the calling thread.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        switch self {
        case .some(let pool): pool.parallelFor(count, body)
        case .none: for i in 0..<count { body(i) }
        }
    }
}

/// The state the helper threads share with callers (the threads hold it, not the pool, so that
/// releasing the pool ends them).
private final class Crew: @unchecked Sendable {  // all state behind `condition`
    let helpers: Int
    let pieceHook: (@Sendable (_ piece: Int, _ onHelper: Bool) -> Void)?

    private let condition = NSCondition()
    private var started = false
    private var dismissed = false
    private var busy = false  // a caller owns the crew
    private var job: ((Int) -> Void)?  // the current job's pieces, while `busy`
    private var next = 0  // the next piece to take
    private var count = 0  // pieces in the job
    private var running = 0  // helpers running pieces of the job

    init(helpers: Int, pieceHook: (@Sendable (_ piece: Int, _ onHelper: Bool) -> Void)?) {
        self.helpers = helpers
        self.pieceHook = pieceHook
    }

    func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        precondition(count >= 0, "WorkerPool: negative count")
        condition.lock()
        if busy || count < 2 || helpers == 0 {
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
            for i in 0..<helpers {
                let thread = Thread { [self] in loop() }
                thread.name = "kernels-pool-\(i)"
                thread.start()
            }
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
            job = nil  // every piece is taken: a helper waking now finds nothing
            while running > 0 { condition.wait() }
            busy = false
            condition.unlock()
        }
    }

    func dismiss() {
        condition.lock()
        dismissed = true
        condition.broadcast()
        condition.unlock()
    }

    /// A helper thread: takes pieces while a job has some left, then waits; ends when dismissed.
    private func loop() {
        condition.lock()
        while true {
            while !dismissed && (job == nil || next >= count) { condition.wait() }
            if dismissed { break }
            if let work = job {
                running += 1
                while next < count {
                    let i = next
                    next += 1
                    condition.unlock()
                    pieceHook?(i, true)
                    work(i)
                    condition.lock()
                }
                running -= 1
                condition.broadcast()
            }
        }
        condition.unlock()
    }
}

extension Linear {
    /// From this many rows on (prompts), the CKernels path shares its output columns between
    /// the calling thread and the pool passed to `forward`; fewer rows (steps) run on the caller alone.
    public static let parallelMinimumRows = 16

    /// Pieces per split call: about this many blocks of outputs, each a multiple of 24 outputs
    /// (CKernels' block multiple: no single-output tails).
    static let splitPieces = 8
    static let splitMultiple = 24

    /// True when `forward` over `rows` rows cuts its outputs into pieces for a pool.
    public static func splitsOutputs(rows: Int) -> Bool {
        rows >= parallelMinimumRows && usesCKernels(rows: rows)
    }

    /// Runs `body` over all outputs, or over blocks of them shared with `pool` (prompts). Every
    /// output is computed by the same arithmetic either way.
    func splitOutputs(rows: Int, pool: WorkerPool?, _ body: (Range<Int>) -> Void) {
        let block = max(Linear.splitMultiple, outFeatures / Linear.splitPieces / Linear.splitMultiple * Linear.splitMultiple)
        guard let pool, rows >= Linear.parallelMinimumRows, block < outFeatures else {
            body(0..<outFeatures)
            return
        }
        let n = outFeatures
        pool.parallelFor((n + block - 1) / block) { i in body(i * block..<min(n, (i + 1) * block)) }
    }
}
