// TTSService+LoopLag.swift: keeps the event loop's lag small and measures it.
//
// Long texts are segmented a slice at a time (SessionMachine+Slices.swift); the slices of every
// session and HTTP request wait in one queue, served in turn for at most `sliceBudget` seconds
// per loop pass, so that however many long texts arrive at once, the sockets are served
// between two passes.
//
// A timer set on the loop every `loopLagInterval` seconds records how late it ran
// (`pocket_tts_event_loop_lag_seconds`): the loop serves every client, so this is what any of
// them waits at worst on top of its own work. Any stall longer than the interval is seen.
import CoreMetrics

/// Sessions with text left to segment, by id, first come first served.
struct TextSliceQueue {
    var waiting: [UInt64] = []
    /// A pass is posted to the loop.
    var isPosted = false
}

extension TTSService {
    /// Seconds between two lag measurements.
    static let loopLagInterval = 0.025
    /// Seconds of slices per loop pass (at least one slice runs).
    static let sliceBudget = 0.004

    /// Queues the next slice of session `id`'s text (its `continueText` action).
    func queueTextSlice(_ id: UInt64) {
        textSlices.waiting.append(id)
        guard !textSlices.isPosted else { return }
        textSlices.isPosted = true
        _ = server.post { [weak self] in self?.runTextSlices() }
    }

    /// One pass: slices in turn until the budget is spent; the rest wait for the next pass.
    private func runTextSlices() {
        textSlices.isPosted = false
        let started = clock()
        var batch = textSlices.waiting[...]
        textSlices.waiting = []
        while let id = batch.popFirst() {
            onContinueText(id)
            if clock() - started > Self.sliceBudget { break }
        }
        // Those not served go first next time, before the ones queued by this pass.
        textSlices.waiting = Array(batch) + textSlices.waiting
        if !textSlices.waiting.isEmpty, !textSlices.isPosted {
            textSlices.isPosted = true
            _ = server.post { [weak self] in self?.runTextSlices() }
        }
    }

    func scheduleLoopLagProbe() {
        let due = clock() + Self.loopLagInterval
        server.schedule(after: Self.loopLagInterval) { [weak self] in
            guard let self else { return }
            metrics.eventLoopLag.recordSeconds(max(0, clock() - due))
            scheduleLoopLagProbe()
        }
    }
}
