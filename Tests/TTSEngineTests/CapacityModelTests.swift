import Foundation
import PocketTTS
import Synchronization
import Testing
@testable import TTSEngine

/// Admission by measured headroom (issue 24): the capacity model as a pure value with injected
/// costs, its live correction, and the engine's admission by it. No timing is asserted.
@Suite struct CapacityModelTests {
    /// 2 cores, 2 consumers, margin 0.2: each thread may spend 64 ms of every 80. The producer
    /// needs 4.5 + 1·N ms (N ≤ 59), the busiest consumer 4.1·⌈N/2⌉ ms (N ≤ 31), all together
    /// 4.5 + 5.1·N ms ≤ 128 ms: N ≤ 24. (No bound falls on a whole N: no rounding at the edges.)
    static let costs = CapacityModel.Costs(stepBase: 0.0045, stepPerStream: 0.001, promptRowSeconds: 0,
                                           promptRowsPerFrame: 0, decodeBase: 0, decodePerStream: 0.0041)

    static func model(limit: Int = 256, costs: CapacityModel.Costs = costs) -> CapacityModel {
        CapacityModel(costs: costs, margin: 0.2, cores: 2, consumers: 2, limit: limit)
    }

    @Test func admitsUpToCapacityAndRefusesOneMore() {
        let model = Self.model()
        #expect(model.capacity == 24)
        #expect(model.admits(active: 23))
        #expect(!model.admits(active: 24))
        #expect(model.headroom(active: 20) == 4)
        #expect(model.headroom(active: 24) == 0)
        #expect(model.fits(streams: 24) && !model.fits(streams: 25))
    }

    @Test func eachBoundCanBindTheCapacity() {
        // One core: the total (4.5 + 5.1·N ≤ 64 ms) binds at 11.
        #expect(CapacityModel(costs: Self.costs, margin: 0.2, cores: 1, consumers: 2, limit: 256).capacity == 11)
        // One consumer on 4 cores: 4.1·N ≤ 64 ms binds at 15.
        #expect(CapacityModel(costs: Self.costs, margin: 0.2, cores: 4, consumers: 1, limit: 256).capacity == 15)
        // A slow step on many cores: the producer (30.5 + 1·N ≤ 64 ms) binds at 33.
        var slowStep = Self.costs
        slowStep.stepBase = 0.0305
        slowStep.decodePerStream = 0.001
        #expect(CapacityModel(costs: slowStep, margin: 0.2, cores: 8, consumers: 4, limit: 256).capacity == 33)
        // max_streams caps it.
        #expect(Self.model(limit: 10).capacity == 10)
        // Not even one fits: one still runs (slower than real time) rather than none.
        var huge = Self.costs
        huge.stepBase = 1
        #expect(!Self.model(costs: huge).fits(streams: 1) && Self.model(costs: huge).capacity == 1)
    }

    @Test func busyCoresOfOtherProcessesLeaveFewer() {
        var model = Self.model()
        for _ in 0..<40 { model = model.updated(othersBusyCores: 1) }
        #expect(abs(model.availableCores - 1) < 0.001 && model.capacity == 11)
        for _ in 0..<40 { model = model.updated(othersBusyCores: 1.9) }  // a quarter at least: 0.5 core
        #expect(abs(model.availableCores - 0.5) < 0.001)
        #expect(model.capacity == 5)  // half a core: 4.5 + 5.1·N ≤ 32 ms, the producer's 4.5 + N ≤ 32 too
        for _ in 0..<40 { model = model.updated(othersBusyCores: 0) }
        #expect(model.capacity == 24)
    }

    @Test func aLargerMarginAdmitsFewer() {
        var model = Self.model()
        model.margin = 0.5  // 40 ms a thread: 4.5 + 5.1·N ≤ 80 → 14
        #expect(model.capacity == 14)
    }

    @Test func promptsCountOnTheProducer() {
        var costs = Self.costs
        costs.promptRowSeconds = 0.002
        costs.promptRowsPerFrame = 0.5  // +1 ms per stream on the producer: 4.5 + 6.1·N ≤ 128 → 20
        #expect(Self.model(costs: costs).capacity == 20)
    }

    @Test func theBatchedStepCostsLessPerStreamAsTheBatchGrows() {
        let costs = Self.costs
        #expect(costs.step(batch: 16) / 16 < costs.step(batch: 4) / 4)
        #expect(costs.step(batch: 0) == 0 && costs.decode(streams: 0) == 0)
    }

    @Test func liveWindowsMoveTheScaleTowardWhatWasMeasured() {
        var model = Self.model()
        for _ in 0..<30 { model = model.updated(measured: 1.5, predicted: 1) }
        #expect(abs(model.scale - 1.5) < 0.001)
        #expect(model.capacity == 15)  // 1.5 · (4.5 + 5.1·N) ≤ 128 ms → N ≤ 15
        for _ in 0..<30 { model = model.updated(measured: 1, predicted: 1) }
        #expect(abs(model.scale - 1) < 0.001)
        #expect(model.capacity == 24)
    }

    @Test func oneOutlierMovesTheScaleByABoundedStep() {
        let model = Self.model()
        let stalled = model.updated(measured: 100, predicted: 1)
        #expect(stalled.scale <= 1 + CapacityModel.liveWeight * (CapacityModel.liveStepFactor - 1) + 1e-12)
        #expect(stalled.capacity >= 19)  // scale 1.25: 1.25 · (4.5 + 5.1·N) ≤ 128 → 19
        let idle = model.updated(measured: 0, predicted: 1)
        #expect(idle.scale >= 1 - CapacityModel.liveWeight * (1 - 1 / CapacityModel.liveStepFactor) - 1e-12)
        #expect(model.updated(measured: 1, predicted: 0) == model)  // nothing predicted: no update
        #expect(model.updated(measured: .nan, predicted: 1) == model)
        var many = model
        for _ in 0..<100 { many = many.updated(measured: 1e6, predicted: 1) }
        #expect(many.scale == CapacityModel.scaleRange.upperBound)
    }

    @Test func promptRowsPerFrameFollowTheText() {
        var costs = Self.costs
        costs.promptRowsPerFrame = 0.3
        var model = Self.model(costs: costs)
        #expect(model.updated(promptRows: 10, frames: 10) == model)  // too few frames to tell
        for _ in 0..<40 { model = model.updated(promptRows: 50, frames: 100) }
        #expect(abs(model.costs.promptRowsPerFrame - 0.5) < 0.01)
        model = model.updated(promptRows: 100_000, frames: 100)
        #expect(model.costs.promptRowsPerFrame <= 2)
    }

    /// Serving a frame (hand-off, encoder, event loop) costs on the stream's consumer and in the
    /// total: with 0.4 ms a frame, the consumer needs (4.1 + 0.4)·⌈N/2⌉ ms (N ≤ 28) and all
    /// together 4.5 + 5.5·N ms ≤ 128: N ≤ 22.
    @Test func servingEachFrameCountsOnTheConsumerAndInTheTotal() {
        var costs = Self.costs
        costs.servePerFrame = 0.0004
        let model = Self.model(costs: costs)
        #expect(model.capacity == 22)
        #expect(abs(costs.consume(streams: 10) - (costs.decode(streams: 10) + 0.004)) < 1e-12)
        let load = model.load(streams: 10)
        #expect(abs(load.consumer - 5 * 0.0045) < 1e-12)
        #expect(abs(load.total - (0.0045 + 10 * 0.0055)) < 1e-12)
        // On one consumer the serving cost alone can bind: (4.1 + 0.4)·N ≤ 64 → 14 (15 without).
        #expect(CapacityModel(costs: costs, margin: 0.2, cores: 4, consumers: 1, limit: 256).capacity == 14)
        #expect(costs.consume(streams: 0) == 0)
    }

    /// A tiny model's probe at 8 and 16 streams, refitted through a point measured where its
    /// capacity lies (`CostProbe.refine` fits this line): a dearer stream at scale lowers it.
    @Test func aRefittedLineThroughTheCapacityLowersIt() {
        let small = CapacityModel.Costs(stepBase: 0.0005, stepPerStream: 0.00002, promptRowSeconds: 0, promptRowsPerFrame: 0,
                                        decodeBase: 0.0002, decodePerStream: 0.0002)
        // All together 0.5 + 0.4 + 0.22·N ms ≤ 128, a consumer 0.2 + 0.2·⌈N/2⌉ ≤ 64: the limit binds.
        #expect(Self.model(costs: small).capacity == 256)
        // 100 streams a consumer measured at 60 ms, not the 20.2 ms the probe's line says: the
        // line through (8, 1.8 ms) and (100, 60 ms) would start below 0, so it is 0.6 ms a stream.
        var refined = small
        (refined.decodeBase, refined.decodePerStream) = CostProbe.line(through: (8, small.decode(streams: 8)), (100, 0.060))
        #expect(refined.decodeBase == 0 && abs(refined.decode(streams: 100) - 0.060) < 1e-12)
        // A consumer: 0.6·⌈N/2⌉ ≤ 64 → N ≤ 212; all together 0.5 + 0.62·N ≤ 128 → N ≤ 205.
        #expect(Self.model(costs: refined).capacity == 205)
        // A milder rise keeps its base: through (8, 1.8 ms) and (100, 20 ms).
        let mild = CostProbe.line(through: (8, small.decode(streams: 8)), (100, 0.020))
        #expect(mild.base > 0 && abs(mild.base + 100 * mild.perStream - 0.020) < 1e-12)
    }

    @Test func probeLinesNeverGoNegative() {
        let fit = CostProbe.line(through: (8, 0.016), (16, 0.024))
        #expect(abs(fit.base - 0.008) < 1e-12 && abs(fit.perStream - 0.001) < 1e-12)
        let noisy = CostProbe.line(through: (8, 0.016), (16, 0.015))  // the larger batch measured cheaper
        #expect(noisy.base == 0 && noisy.perStream == 0.002)
        let steep = CostProbe.line(through: (8, 0.008), (16, 0.032))  // a negative base
        #expect(steep.base == 0 && steep.perStream == 0.002)
    }
}

/// The monitor's live windows and the inbox's admission by it (no threads, a fake CPU clock).
@Suite struct CapacityAdmissionTests {
    final class FakeCPU: Sendable {
        let seconds = Mutex(0.0)
        func advance(_ s: Double) { seconds.withLock { $0 += s } }
        var clock: @Sendable () -> Double { { [self] in seconds.withLock { $0 } } }
    }

    static func monitor(limit: Int = 256, cpu: FakeCPU = FakeCPU(), machine: FakeCPU? = nil) -> CapacityMonitor {
        let machineBusy: @Sendable () -> Double?
        if let machine {
            let clock = machine.clock
            machineBusy = { clock() }
        } else {
            machineBusy = { nil }
        }
        return CapacityMonitor(margin: 0.2, consumers: 2, limit: limit, cores: 2, processCPU: cpu.clock, machineBusy: machineBusy)
    }

    @Test func otherProcessesLoadLowersTheCapacity() {
        let (cpu, machine) = (FakeCPU(), FakeCPU())
        let monitor = Self.monitor(cpu: cpu, machine: machine)
        monitor.set(costs: CapacityModelTests.costs)
        #expect(monitor.streams == 24)
        monitor.tick(now: 0)
        for second in 1...30 {  // idle engine; other processes keep one core busy
            machine.advance(1)
            monitor.tick(now: Double(second))
        }
        let model = try! #require(monitor.current)
        #expect(abs(model.availableCores - 1) < 0.01)
        #expect(monitor.streams == 11)  // one core: 4.5 + 5.1·N ≤ 64 ms
    }

    /// Other processes busy while the probe ran count from the first estimate on, not after a
    /// few live windows: one core of two busy leaves the capacity of one core (11), and this
    /// process's own CPU time (the probe's) is not counted as others'.
    @Test func theProbeWindowCountsOtherProcessesAtOnce() throws {
        let (cpu, machine) = (FakeCPU(), FakeCPU())
        let monitor = Self.monitor(cpu: cpu, machine: machine)
        monitor.beginProbe(now: 10)
        cpu.advance(1)  // the probe: one core for 1 s
        machine.advance(2)  // the machine: two cores busy, one of them others'
        monitor.set(costs: CapacityModelTests.costs, now: 11)
        let model = try #require(monitor.current)
        #expect(abs(model.availableCores - 1) < 1e-9)
        #expect(monitor.streams == 11)
        // A later set without a probe window counts every core again (until the live windows).
        monitor.set(costs: CapacityModelTests.costs)
        #expect(monitor.streams == 24)
        // Others busy beyond the cores: at least a quarter of them is counted free.
        monitor.beginProbe(now: 20)
        machine.advance(10)
        monitor.set(costs: CapacityModelTests.costs, now: 21)
        #expect(abs(try #require(monitor.current).availableCores - 0.5) < 1e-9)
    }

    @Test func withoutCostsTheHardBoundAdmits() {
        let monitor = Self.monitor(limit: 7)
        #expect(monitor.streams == 7)
        #expect(monitor.snapshot(active: 3) == EngineCapacity(streams: 7, active: 3, isMeasured: false))
    }

    @Test func aWindowOfMoreCPUThanPredictedLowersTheCapacity() {
        let cpu = FakeCPU()
        let monitor = Self.monitor(cpu: cpu)
        monitor.set(costs: CapacityModelTests.costs)
        #expect(monitor.streams == 24)
        monitor.tick(now: 0)  // the window starts
        for _ in 0..<50 {  // 50 steps of 10 streams and their frames: 50 · (14.5 + 41) ms predicted
            monitor.recordStep(batch: 10)
            monitor.recordDecode(frames: 5)
            monitor.recordDecode(frames: 5)
        }
        cpu.advance(2 * 50 * 0.0555)  // twice that measured
        monitor.tick(now: 0.5)  // not a whole window yet
        #expect(monitor.current?.scale == 1)
        monitor.tick(now: 1.0)
        let scale = try! #require(monitor.current?.scale)
        #expect(scale > 1 && scale <= 1.25 + 1e-9)
        #expect(monitor.streams < 24)
    }

    /// The live correction predicts a decoded frame's serving cost too: a window that used
    /// exactly the model's cost with serving is no correction.
    @Test func aWindowPredictsTheServingCost() {
        let cpu = FakeCPU()
        let monitor = Self.monitor(cpu: cpu)
        var costs = CapacityModelTests.costs
        costs.servePerFrame = 0.001
        monitor.set(costs: costs)
        #expect(monitor.capacity(with: costs) == CapacityModel(costs: costs, margin: 0.2, cores: 2, consumers: 2, limit: 256).capacity)
        monitor.tick(now: 0)
        for _ in 0..<50 {  // 50 · (14.5 + 2 · (20.5 + 5)) ms predicted
            monitor.recordStep(batch: 10)
            monitor.recordDecode(frames: 5)
            monitor.recordDecode(frames: 5)
        }
        cpu.advance(50 * 0.0655)
        monitor.tick(now: 1.0)
        let scale = try! #require(monitor.current?.scale)
        #expect(abs(scale - 1) < 1e-9)
    }

    @Test func anIdleWindowLeavesTheEstimate() {
        let cpu = FakeCPU()
        let monitor = Self.monitor(cpu: cpu)
        monitor.set(costs: CapacityModelTests.costs)
        monitor.tick(now: 0)
        monitor.recordStep(batch: 1)  // 5.5 ms of work in a second: idle
        cpu.advance(0.2)  // the process's own overhead
        monitor.tick(now: 1)
        #expect(monitor.current?.scale == 1)
    }

    @Test func givenCostsThatDoNotTrackLiveStayPut() {
        let cpu = FakeCPU()
        let monitor = Self.monitor(cpu: cpu)
        monitor.set(costs: CapacityModelTests.costs, tracksLive: false)
        monitor.tick(now: 0)
        for _ in 0..<50 { monitor.recordStep(batch: 10) }
        cpu.advance(10)
        monitor.tick(now: 1)
        #expect(monitor.current?.scale == 1 && monitor.streams == 24)
    }

    /// The inbox admits up to the capacity and refuses one more; when the costs rise the open
    /// streams stay open (never revoked), and new ones wait until enough have ended.
    @Test func admissionNeverRevokesOpenStreams() throws {
        let monitor = Self.monitor()
        var costs = CapacityModelTests.costs
        costs.stepBase = 0.0575  // the producer: 57.5 + 1·N ms ≤ 64 → N ≤ 6
        monitor.set(costs: costs, tracksLive: false)
        let inbox = CommandInbox(EngineConfiguration(maxStreams: 16), capacity: monitor)
        let voice = try Fixture.voice()
        let open = { try inbox.open(voice: voice, options: GenerationOptions()) { _ in } }
        var ids: [StreamID] = []
        for _ in 0..<6 { ids.append(try open()) }
        #expect(throws: EngineError.atCapacity) { try open() }
        costs.stepBase = 0.0615  // dearer: 61.5 + 1·N ≤ 64 → 2
        monitor.set(costs: costs, tracksLive: false)
        #expect(monitor.streams == 2)
        #expect(inbox.openCount == 6)  // nothing revoked
        for id in ids.prefix(4) { inbox.release(id) }
        #expect(throws: EngineError.atCapacity) { try open() }  // 2 open: still full
        inbox.release(ids[4])
        _ = try open()
        #expect(inbox.openCount == 2)
    }

    /// The engine's own measurement on the tiny model gives costs and a capacity (no figures
    /// asserted: they depend on the machine), within `maxStreams`.
    @Test func engineMeasuresItsCostsAndAdmitsByThem() throws {
        let engine = Engine(model: try Fixture.model(), configuration: EngineConfiguration(maxStreams: 3))
        defer { engine.stop() }
        #expect(engine.capacity == EngineCapacity(streams: 3, active: 0, isMeasured: false))
        let costs = engine.measureCapacity()
        #expect(costs.stepPerStream > 0 && costs.decodePerStream > 0 && costs.promptRowSeconds > 0)
        let capacity = engine.capacity
        #expect(capacity.isMeasured && capacity.streams <= 3 && capacity.active == 0)
        engine.setCapacityCosts(CapacityModelTests.costs, tracksLive: false)
        #expect(engine.capacityModel?.capacity == 3)  // 24 fit; max_streams caps
    }

    /// A probe in the background (what `serve` runs after /ready turns ready): the call returns
    /// while the probe is still running, admission uses the provisional estimate (one stream)
    /// until the probe's costs land, and then the measured capacity.
    @Test func aBackgroundProbeAdmitsTheProvisionalEstimateUntilItLands() throws {
        let engine = Engine(model: try Fixture.model(), configuration: EngineConfiguration(maxStreams: 8))
        defer { engine.stop() }
        let gate = DispatchSemaphore(value: 0)
        let landed = DispatchSemaphore(value: 0)
        engine.measureCapacityInBackground(provisionalStreams: 1, probe: { _ in
            gate.wait()
            return CapacityModelTests.costs
        }, completion: { _, _ in landed.signal() })
        #expect(engine.capacity == EngineCapacity(streams: 1, active: 0, isMeasured: false))  // the probe waits
        let voice = try Fixture.voice()
        let first = try engine.openStream(voice: voice, options: GenerationOptions(), sink: RecordingSink())
        #expect(throws: EngineError.atCapacity) { try engine.openStream(voice: voice, options: GenerationOptions(), sink: RecordingSink()) }
        gate.signal()
        #expect(landed.wait(timeout: .now() + 60) == .success)
        let capacity = engine.capacity
        #expect(capacity.isMeasured && capacity.streams == 8 && capacity.active == 1)  // 24 fit; max_streams caps
        let second = try engine.openStream(voice: voice, options: GenerationOptions(), sink: RecordingSink())
        engine.cancel(first)
        engine.cancel(second)
    }

    /// Two engines' background probes (one per model served) run one after the other: the
    /// second starts only once the first has measured.
    @Test func backgroundProbesRunOneAtATime() throws {
        let model = try Fixture.model()
        let (first, second) = (Engine(model: model), Engine(model: model))
        defer { first.stop(); second.stop() }
        let gate = DispatchSemaphore(value: 0)
        let secondStarted = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let order = Mutex<[String]>([])
        let firstStarted = DispatchSemaphore(value: 0)
        first.measureCapacityInBackground(provisionalStreams: 1, probe: { _ in
            firstStarted.signal()
            gate.wait()
            order.withLock { $0.append("first") }
            return CapacityModelTests.costs
        }, completion: { _, _ in done.signal() })
        // The second is asked once the first holds the turn (threads start in any order).
        #expect(firstStarted.wait(timeout: .now() + 60) == .success)
        second.measureCapacityInBackground(provisionalStreams: 1, probe: { _ in
            order.withLock { $0.append("second") }
            secondStarted.signal()
            return CapacityModelTests.costs
        }, completion: { _, _ in done.signal() })
        #expect(secondStarted.wait(timeout: .now() + 0.3) == .timedOut)  // waits for the first
        gate.signal()
        #expect(done.wait(timeout: .now() + 60) == .success && done.wait(timeout: .now() + 60) == .success)
        #expect(order.withLock { $0 } == ["first", "second"])
    }

    /// The provisional estimate never exceeds `maxStreams`, and measured costs replace it.
    @Test func theProvisionalEstimateIsBoundedAndReplaced() {
        let monitor = Self.monitor(limit: 3)
        monitor.setProvisional(streams: 10)
        #expect(monitor.streams == 3)
        monitor.setProvisional(streams: 2)
        #expect(monitor.snapshot(active: 0) == EngineCapacity(streams: 2, active: 0, isMeasured: false))
        monitor.set(costs: CapacityModelTests.costs, tracksLive: false)
        #expect(monitor.streams == 3 && monitor.snapshot(active: 0).isMeasured)
    }

    /// A memory budget bounds the capacity reported too (each stream at its worst case while none is open).
    @Test func theMemoryBudgetBoundsTheReportedCapacity() throws {
        let model = try Fixture.model()
        var configuration = EngineConfiguration(maxStreams: 100)
        let perStream = Engine.streamBytes(model: model, configuration: configuration,
                                           voicePositions: configuration.budgetVoicePositions, maxFrames: nil)
        configuration.memoryBudget = 5 * perStream
        configuration.budgetedStreams = 1
        let engine = Engine(model: model, configuration: configuration)
        defer { engine.stop() }
        #expect(engine.capacity.streams == 5)
    }

    /// `/proc/stat`'s busy ticks: idle and iowait never count; niced work (column 2) counts only
    /// when the service itself runs niced (at nice 0 such work yields to it).
    @Test func busyTicksLeaveOutNicedWorkWhenAsked() {
        let line: Substring = "cpu  100 400 50 9000 30 5 5 10 0 0"
        #expect(CapacityMonitor.busyTicks(statLine: line, countNice: true) == 570)
        #expect(CapacityMonitor.busyTicks(statLine: line, countNice: false) == 170)
        #expect(CapacityMonitor.busyTicks(statLine: "intr 1 2 3 4 5", countNice: true) == nil)
        #expect(CapacityMonitor.busyTicks(statLine: "cpu  1 2 3", countNice: true) == nil)
    }

    /// A light load's cheaper frames do not raise the capacity; a heavy one's do, and a light
    /// load's dearer frames still lower it.
    @Test func aLightWindowMayOnlyMakeTheEstimateMoreCareful() {
        let model = CapacityModelTests.model()
        let light = Double(model.capacity) * CapacityModel.lightLoadShare - 1
        let heavy = Double(model.capacity)
        #expect(model.updated(measured: 0.5, predicted: 1, streams: light) == model)
        #expect(model.updated(measured: 0.5, predicted: 1, streams: heavy).capacity > model.capacity)
        #expect(model.updated(measured: 2, predicted: 1, streams: light).capacity < model.capacity)
        #expect(model.updated(measured: 0.5, predicted: 1).capacity > model.capacity)  // streams unknown: as before
    }
}

