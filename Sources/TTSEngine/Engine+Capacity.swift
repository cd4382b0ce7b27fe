import Foundation
import PocketTTS
import Synchronization

// Admission by measured headroom (issue 24): the engine measures what its work costs on the
// loaded model, keeps the estimate current from its live work, and admits a stream while every
// open stream stays ahead of real time with the playout margin (`CapacityModel`).
extension Engine {
    /// Measures the model's costs (`CostProbe`: about a second at full size, on this thread) and
    /// admits streams by them from now on, at most `maxStreams`. Call before serving (e.g.
    /// before the service turns ready), off any event loop; the engine may be started or not,
    /// but should be idle (a busy engine's threads would slow the probe and the estimate with it).
    /// Returns the costs measured.
    @discardableResult
    public func measureCapacity() -> CapacityModel.Costs {
        capacityMonitor.beginProbe(now: Producer.monotonicSeconds())
        let costs = Self.probeCosts(model: model, configuration: configuration, monitor: capacityMonitor)
        capacityMonitor.set(costs: costs, now: Producer.monotonicSeconds())
        return costs
    }

    /// The probe's costs (`CostProbe.measure`) with the configured serving cost per frame, then
    /// measured again where the capacity they give lies (`CostProbe.refine`: a tiny model's
    /// hundreds of streams cost more each than its probe's 8 or 16), at most twice: until the
    /// capacity moves by less than a quarter.
    static func probeCosts(model: TTSModel, configuration: EngineConfiguration, monitor: CapacityMonitor) -> CapacityModel.Costs {
        var costs = CostProbe.measure(model: model)
        costs.servePerFrame = configuration.servingSecondsPerFrame
        var measuredAt = 0
        for _ in 0..<2 {
            let streams = monitor.capacity(with: costs)
            if abs(streams - measuredAt) * 4 <= max(streams, measuredAt) { break }
            costs = CostProbe.refine(costs, model: model, streams: streams, consumers: configuration.consumerThreads)
            measuredAt = streams
        }
        return costs
    }

    /// Admits at most `provisionalStreams` streams at once (a conservative estimate), then
    /// measures the costs (`CostProbe`) on a thread of its own and admits by them once they land;
    /// returns at once, so a service turns ready without waiting for the probe. The probe runs
    /// beside whatever the engine does by then: streams open meanwhile make it measure dearer
    /// costs (a lower capacity), which the live correction then moves back. `completion` gets the
    /// costs and the probe's wall-clock seconds, on the probe's thread. Call it after `start()`
    /// when serving (`start` sets OpenBLAS's threads, process-wide, which no probe may use then).
    public func measureCapacityInBackground(provisionalStreams: Int = 1,
                                            completion: @escaping @Sendable (CapacityModel.Costs, Double) -> Void = { _, _ in }) {
        let (configuration, monitor) = (configuration, capacityMonitor)
        measureCapacityInBackground(provisionalStreams: provisionalStreams,
                                    probe: { Self.probeCosts(model: $0, configuration: configuration, monitor: monitor) },
                                    completion: completion)
    }

    /// As above with `probe` in place of `CostProbe.measure` (tests: a probe that waits).
    func measureCapacityInBackground(provisionalStreams: Int, probe: @escaping @Sendable (TTSModel) -> CapacityModel.Costs,
                                     completion: @escaping @Sendable (CapacityModel.Costs, Double) -> Void) {
        capacityMonitor.setProvisional(streams: provisionalStreams)
        let (model, monitor) = (model, capacityMonitor)
        let thread = Thread {
            // One probe at a time in the process (several engines: one per model served), so
            // that no probe times its units beside another's.
            let (costs, seconds) = Self.probeTurn.withLock { _ in
                let started = Producer.monotonicSeconds()
                monitor.beginProbe(now: started)
                return (probe(model), Producer.monotonicSeconds() - started)
            }
            monitor.set(costs: costs, now: Producer.monotonicSeconds())
            completion(costs, seconds)
        }
        thread.name = "tts-capacity-probe"
        thread.start()
    }

    /// Held by the probe running (`measureCapacityInBackground`): one at a time in the process.
    private static let probeTurn = Mutex<Void>(())

    /// Admits streams by these costs from now on (tests, or costs measured elsewhere);
    /// `tracksLive` false keeps them as given rather than correcting them from the live work.
    public func setCapacityCosts(_ costs: CapacityModel.Costs, tracksLive: Bool = true) {
        capacityMonitor.set(costs: costs, tracksLive: tracksLive)
    }

    /// The capacity model now (nil until costs are measured or set).
    public var capacityModel: CapacityModel? { capacityMonitor.current }

    /// Streams the engine carries now, open and free. Without measured costs it is `maxStreams`.
    /// With a memory budget, `streams` is also at most what the budget still holds beside the open
    /// streams (each counted at the open streams' mean size, or the worst case when none is open).
    public var capacity: EngineCapacity {
        let (open, reserved) = inbox.occupancy
        var capacity = capacityMonitor.snapshot(active: open)
        if let budget = configuration.memoryBudget {
            let typical = open > 0
                ? max(1, reserved / open)
                : max(1, Self.streamBytes(model: model, configuration: configuration,
                                          voicePositions: configuration.budgetVoicePositions, maxFrames: nil))
            capacity.streams = min(capacity.streams, open + max(0, budget - reserved) / typical)
        }
        return capacity
    }
}
