// LinearWorker: one persistent helper thread that takes half of a prompt's linear layers.
import Foundation

/// A second thread for wide jobs: `split` runs one half on the worker while the caller runs
/// the other, and returns when both are done. `Linear` splits the output columns of prompts
/// (`Linear.parallelMinimumRows` rows and more) this way, so each thread reads half of the
/// weights; single-row steps stay on the caller, leaving the other core to Mimi.
///
/// The worker waits on a condition variable while idle (no polling). It serves one caller at a
/// time: a caller that finds it busy (another thread's prompt) runs both halves itself, so
/// nothing ever waits for a job that is not its own.
public final class LinearWorker: @unchecked Sendable {  // all state behind `condition`
    /// The process-wide worker (its thread starts on first use and never ends).
    public static let shared = LinearWorker()

    private let condition = NSCondition()
    private var started = false
    private var busy = false  // a caller owns the worker
    private var job: (() -> Void)?  // the worker's half, set while `busy`
    private var jobDone = true

    init() {}

    /// Runs `first` on the calling thread and `second` on the worker thread (or both on the
    /// calling thread when the worker is busy); returns when both have finished.
    public func split(_ first: () -> Void, _ second: () -> Void) {
        condition.lock()
        if busy {
            condition.unlock()
            first()
            second()
            return
        }
        busy = true
        if !started {
            started = true
            let thread = Thread { [unowned self] in self.loop() }
            thread.name = "kernels-linear"
            thread.start()
        }
        withoutActuallyEscaping(second) { second in
            job = second
            jobDone = false
            condition.broadcast()
            condition.unlock()
            first()
            condition.lock()
            while !jobDone { condition.wait() }
            job = nil  // released before `second` stops being valid
            busy = false
            condition.unlock()
        }
    }

    /// The worker thread: runs each job once, then waits for the next.
    private func loop() {
        condition.lock()
        while true {
            while jobDone { condition.wait() }
            if let work = job {
                condition.unlock()
                work()
                condition.lock()
            }
            jobDone = true
            condition.broadcast()
        }
    }
}

extension Linear {
    /// From this many rows on (prompts), the CKernels path splits its output columns between
    /// the calling thread and `LinearWorker.shared`; fewer rows (steps) run on the caller alone.
    public static let parallelMinimumRows = 16

    /// Output columns per half are a multiple of this (CKernels' block multiple: no
    /// single-output tails).
    static let splitMultiple = 24

    /// True when `forward` over `rows` rows splits its outputs between two threads.
    public static func splitsOutputs(rows: Int) -> Bool {
        rows >= parallelMinimumRows && usesCKernels(rows: rows)
    }

    /// Runs `body` over all outputs, or over two halves on two threads (prompts). Every output
    /// is computed by the same arithmetic either way.
    func splitOutputs(rows: Int, _ body: (Range<Int>) -> Void) {
        let middle = (outFeatures / 2 + Linear.splitMultiple / 2) / Linear.splitMultiple * Linear.splitMultiple
        guard rows >= Linear.parallelMinimumRows, middle > 0, middle < outFeatures else {
            body(0..<outFeatures)
            return
        }
        LinearWorker.shared.split({ body(0..<middle) }, { body(middle..<outFeatures) })
    }
}
