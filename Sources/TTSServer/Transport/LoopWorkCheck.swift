// LoopWorkCheck.swift: in debug builds, flags event-loop work that runs longer than 1 ms (the
// loop serves every session: nothing slow may run on it, see STYLE "Threads"). The server
// measures each libwebsockets callback, each posted item and each timer, and reports what ran
// and for how long; release builds measure nothing (`measure` only runs the work).
import Foundation
import Logging
import Synchronization

final class LoopWorkCheck: Sendable {
    /// Work longer than this is reported.
    static let threshold = 0.001
    /// Seconds between two log lines about the same work (the rest are counted).
    static let logInterval = 10.0

    private let report: @Sendable (_ what: String, _ seconds: Double) -> Void

    init(report: @escaping @Sendable (_ what: String, _ seconds: Double) -> Void) { self.report = report }

    /// Runs `body`; in debug builds, reports it as `what` when it took longer than `threshold`.
    @inline(__always)
    func measure<R>(_ what: @autoclosure () -> String, _ body: () -> R) -> R {
        #if DEBUG
        let start = monotonicSeconds()
        defer {
            let elapsed = monotonicSeconds() - start
            if elapsed > Self.threshold { report(what(), elapsed) }
        }
        #endif
        return body()
    }

    /// `work`, measured as `what` when it runs (debug builds).
    func wrap(_ work: @escaping @Sendable () -> Void, as what: @autoclosure () -> String) -> @Sendable () -> Void {
        #if DEBUG
        let what = what()
        return { [self] in measure(what, work) }
        #else
        return work
        #endif
    }

    /// The default report: a warning, at most one per `logInterval` for the same work.
    static let logWarning: @Sendable (String, Double) -> Void = {
        let logger = Logger(label: "pocket-tts.loop")
        let last = Mutex<[String: (time: Double, suppressed: Int)]>([:])
        return { what, seconds in
            let now = monotonicSeconds()
            let suppressed: Int? = last.withLock { last in
                if let previous = last[what], now - previous.time < logInterval {
                    last[what]?.suppressed += 1
                    return nil
                }
                if last.count > 1000 { last.removeAll() }  // bounded
                let count = last[what]?.suppressed ?? 0
                last[what] = (now, 0)
                return count
            }
            guard let suppressed else { return }
            let more = suppressed > 0 ? " (\(suppressed) more since the last report)" : ""
            logger.warning("event loop busy \(String(format: "%.1f", seconds * 1000)) ms (> 1 ms) in \(what)\(more)")
        }
    }()
}
