import Foundation

/// The engine's capacity as the server sees it (`Engine.capacity`).
public struct EngineCapacity: Sendable, Equatable {
    /// Streams the engine carries in real time with the playout margin (`CapacityModel.capacity`),
    /// or `maxStreams` while the costs are not measured.
    public var streams: Int
    /// Streams open now.
    public var active: Int
    /// Whether `streams` comes from measured costs (`Engine.measureCapacity`); false while a
    /// probe runs (`streams` is then its provisional estimate: `Engine.measureCapacityInBackground`).
    public var isMeasured: Bool
    /// The live correction of the measured costs (`CapacityModel.scale`; 1 until measured).
    public var scale: Double

    public init(streams: Int, active: Int, isMeasured: Bool, scale: Double = 1) {
        self.streams = streams
        self.active = active
        self.isMeasured = isMeasured
        self.scale = scale
    }

    /// Streams that may still open (0 at or over capacity).
    public var headroom: Int { max(0, streams - active) }
}

/// The engine's `CapacityModel` and its live correction. The producer and consumers report the
/// work they do (`recordStep`, `recordPrompt`, `recordDecode`); every `windowSeconds` (on the
/// producer's `tick`) the process's CPU time over the window is compared with what the model
/// predicted for that work, and the model's `scale` moves toward the ratio (bounded:
/// `CapacityModel.updated`). The process's CPU time counts everything the service does for its
/// streams (the event loop, encoders, helper threads), not only the model's calls. Each window
/// also reads how busy the whole machine was (`/proc/stat`): the cores other processes kept
/// busy are not the engine's (`CapacityModel.availableCores`).
///
/// Until costs are set (`set(costs:)`, after `CostProbe` at start), the capacity is `limit`, or
/// the provisional estimate while a probe runs (`setProvisional`, at most `limit`).
/// Thread-safe (one lock, a leaf: taken under the inbox's lock, never the reverse).
final class CapacityMonitor: @unchecked Sendable {  // all state behind `lock`
    /// Seconds of one live window.
    static let windowSeconds = 1.0
    /// A window updates the model only when the work predicted in it fills at least this share
    /// of one core (an idle window measures the process's idle overhead, not the streams').
    static let minimumBusyShare = 0.1

    private let lock = NSLock()
    private let processCPU: @Sendable () -> Double
    private let machineBusy: @Sendable () -> Double?
    private let margin: Double
    private let cores: Int
    private let consumers: Int
    private let limit: Int
    private let frameSeconds: Double
    private var model: CapacityModel?
    private var provisional: Int?  // streams admitted until the costs are set
    private var tracksLive = true
    // The current window (producer's clock).
    private var windowStart: Double?
    private var windowCPU = 0.0
    private var windowBusy: Double?  // the machine's busy CPU seconds at the window's start
    private var predicted = 0.0  // CPU seconds at scale 1
    private var promptRows = 0
    private var frames = 0
    /// The engines sharing this process's cores (several models), if any.
    private let group: CapacityGroup?
    private var member: ObjectIdentifier { ObjectIdentifier(self) }
    /// Streams open, as last published.
    private var active = 0
    private var windowOthers = 0.0  // the group's others' predicted CPU seconds at the window's start

    init(margin: Double, consumers: Int, limit: Int, frameSeconds: Double = 0.08, group: CapacityGroup? = nil,
         cores: Int = ProcessInfo.processInfo.activeProcessorCount,
         processCPU: @escaping @Sendable () -> Double = CapacityMonitor.processCPUSeconds,
         machineBusy: @escaping @Sendable () -> Double? = CapacityMonitor.machineBusySeconds) {
        self.machineBusy = machineBusy
        self.group = group
        self.margin = margin
        self.consumers = consumers
        self.limit = limit
        self.frameSeconds = frameSeconds
        self.cores = max(1, cores)
        self.processCPU = processCPU
    }

    deinit { group?.leave(ObjectIdentifier(self)) }

    private func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Sets the costs (measured or given); `tracksLive` false keeps them as given (tests).
    /// Where the probe started (`beginProbe`): wall seconds, this process's and the machine's CPU seconds.
    private var probeStart: (wall: Double, process: Double, machine: Double)?

    /// The probe starts: the machine's busy time from now until `set(costs:)` says how many
    /// cores other processes keep busy, and the first estimate counts only the others' leftovers
    /// (`CapacityModel.updated(othersBusyCores:weight: 1)`), not all the cores until the live
    /// windows learn it: on a busy machine the first turns admitted are as many as it carries.
    func beginProbe(now: Double) {
        locked {
            guard let machine = machineBusy() else { return }
            probeStart = (now, processCPU(), machine)
        }
    }

    /// Sets the costs (measured or given); `tracksLive` false keeps them as given (tests). After
    /// `beginProbe`, `now` closes the probe's window (the cores others kept busy meanwhile).
    func set(costs: CapacityModel.Costs, tracksLive: Bool = true, now: Double? = nil) {
        locked {
            var next = CapacityModel(costs: costs, frameSeconds: frameSeconds, margin: margin, cores: cores,
                                     consumers: consumers, limit: limit)
            if let start = probeStart, let now, now - start.wall >= 0.1, let machine = machineBusy() {
                let others = max(0, (machine - start.machine) - (processCPU() - start.process)) / (now - start.wall)
                next = next.updated(othersBusyCores: others, weight: 1)
            }
            probeStart = nil
            model = next
            self.tracksLive = tracksLive
            windowStart = nil
            publishLoad()
        }
    }

    /// The capacity these costs give on this machine, with the cores the group's other engines
    /// keep busy (the probe's refinement: `Engine.probeCosts`), before any live correction.
    func capacity(with costs: CapacityModel.Costs) -> Int {
        locked {
            var model = CapacityModel(costs: costs, frameSeconds: frameSeconds, margin: margin, cores: cores,
                                      consumers: consumers, limit: limit)
            if let group { model.sharedCores = group.othersBusyCores(excluding: member) }
            return model.capacity
        }
    }

    /// Admits at most `streams` (and at most `limit`) until costs are set: the conservative
    /// estimate a service starts with while its probe runs. Ignored once costs are set.
    func setProvisional(streams: Int) {
        locked { provisional = max(1, streams) }
    }

    /// The model now (nil before costs are set), with the cores the group's other engines keep busy.
    var current: CapacityModel? { locked { sharedModel } }

    /// Streams that may be open at once now.
    var streams: Int { locked { unlockedStreams } }

    private var unlockedStreams: Int {  // caller holds the lock
        sharedModel?.capacity ?? provisional.map { min($0, limit) } ?? limit
    }

    func snapshot(active: Int) -> EngineCapacity {
        locked {
            let model = sharedModel
            return EngineCapacity(streams: unlockedStreams, active: active, isMeasured: model != nil, scale: model?.scale ?? 1)
        }
    }

    /// The model, its `sharedCores` what the group's other engines keep busy now (caller holds the lock).
    private var sharedModel: CapacityModel? {
        guard var model else { return nil }
        if let group { model.sharedCores = group.othersBusyCores(excluding: member) }
        return model
    }

    /// The engine's streams open now (the inbox, as they open and close): the group learns the
    /// cores they keep busy.
    func publish(active: Int) {
        locked {
            self.active = active
            publishLoad()
        }
    }

    private func publishLoad() {  // caller holds the lock
        guard let group else { return }
        let load = model.map { $0.load(streams: active).total / frameSeconds } ?? 0
        group.publish(member, busyCores: load)
    }

    // MARK: Work reports (producer and consumer threads)

    /// One batched FlowLM step of `batch` streams (a frame each).
    func recordStep(batch: Int) {
        locked {
            guard let model, tracksLive else { return }
            predicted += model.costs.step(batch: batch)
            group?.add(member, predicted: model.scale * model.costs.step(batch: batch))
            frames += batch
        }
    }

    /// One FlowLM prompt call of `rows` text rows.
    func recordPrompt(rows: Int) {
        locked {
            guard let model, tracksLive else { return }
            predicted += model.costs.promptRowSeconds * Double(rows)
            group?.add(member, predicted: model.scale * model.costs.promptRowSeconds * Double(rows))
            promptRows += rows
        }
    }

    /// One Mimi call decoding `frames` frames (of several streams, or a run of one).
    func recordDecode(frames: Int) {
        locked {
            guard let model, tracksLive else { return }
            predicted += model.costs.consume(streams: frames)  // each frame decoded is delivered once
            group?.add(member, predicted: model.scale * model.costs.consume(streams: frames))
        }
    }

    /// The producer's clock (seconds, monotonic): closes the window once `windowSeconds` have
    /// passed, updating the model from it.
    func tick(now: Double) {
        lock.lock()
        defer { lock.unlock() }
        guard model != nil, tracksLive else { return }
        guard let start = windowStart else {
            startWindow(now: now)
            return
        }
        let elapsed = now - start
        guard elapsed >= Self.windowSeconds else { return }
        let measured = processCPU() - windowCPU
        // The process's CPU time less what the group's other engines predicted for their work.
        let others = group.map { $0.othersPredicted(excluding: member) - windowOthers } ?? 0
        guard var next = model else { return }
        if predicted >= Self.minimumBusyShare * elapsed {
            // The streams open now, not the frames' worth: a few streams far ahead of real time
            // reuse their states in the caches, which the capacity's many streams do not.
            next = next.updated(measured: max(0, measured - others), predicted: predicted, streams: Double(active))
            next = next.updated(promptRows: promptRows, frames: frames)
        }
        if let busy = machineBusy(), let start = windowBusy {
            next = next.updated(othersBusyCores: max(0, busy - start - measured) / elapsed)
        }
        model = next
        publishLoad()
        startWindow(now: now)
    }

    private func startWindow(now: Double) {  // caller holds the lock
        windowStart = now
        windowCPU = processCPU()
        windowBusy = machineBusy()
        windowOthers = group?.othersPredicted(excluding: member) ?? 0
        predicted = 0
        promptRows = 0
        frames = 0
    }

    /// CPU seconds all the machine's cores have been busy (Linux `/proc/stat`: every state but
    /// idle and iowait); nil where unknown. While this process runs at nice 0 or below, the
    /// `nice` column (processes at nice > 0) is left out: the scheduler gives such background
    /// work (builds, batch jobs) a small share beside ours, so their cores stay the engine's.
    @Sendable static func machineBusySeconds() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n", maxSplits: 1).first else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        errno = 0
        let ownNice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let countNice = errno != 0 || ownNice > 0
        guard ticks > 0, let busy = busyTicks(statLine: line, countNice: countNice) else { return nil }
        return busy / ticks
    }

    /// The busy ticks of `/proc/stat`'s first line (`cpu  user nice system idle iowait irq
    /// softirq steal ...`): every state but idle and iowait, and `nice` only when `countNice`.
    static func busyTicks(statLine line: Substring, countNice: Bool) -> Double? {
        guard line.hasPrefix("cpu ") else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 5 else { return nil }
        let skipped: Set<Int> = countNice ? [3, 4] : [1, 3, 4]
        return fields.prefix(8).enumerated().reduce(0) { $0 + (skipped.contains($1.offset) ? 0 : $1.element) }
    }

    /// CPU seconds this process has used, all threads.
    @Sendable static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
