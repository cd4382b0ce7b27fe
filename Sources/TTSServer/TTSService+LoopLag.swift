// TTSService+LoopLag.swift: measures the event loop's lag. A timer set on the loop every
// `loopLagInterval` seconds records how late it ran (`pocket_tts_event_loop_lag_seconds`):
// the loop serves every client, so this is what any of them waits at worst on top of its own
// work. Any stall longer than the interval is seen, since the timer is always due within it.
import CoreMetrics

extension TTSService {
    /// Seconds between two lag measurements.
    static let loopLagInterval = 0.025

    func scheduleLoopLagProbe() {
        let due = clock() + Self.loopLagInterval
        server.schedule(after: Self.loopLagInterval) { [weak self] in
            guard let self else { return }
            metrics.eventLoopLag.recordSeconds(max(0, clock() - due))
            scheduleLoopLagProbe()
        }
    }
}
