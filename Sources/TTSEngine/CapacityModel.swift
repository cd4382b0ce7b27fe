// CapacityModel: how many streams the engine carries in real time, from what its work costs.

/// The streams an engine can carry while every one stays ahead of real time, as a pure
/// function of the measured costs (`Costs`, CPU seconds), the machine (`cores`, the consumer
/// threads) and the playout margin.
///
/// Every stream needs one frame per `frameSeconds` (80 ms). Over one frame period, N streams ask:
/// - the producer thread (serial): one batched FlowLM step of N streams (`stepBase +
///   stepPerStream · N`: the weights are read once per batch, so the step grows sublinearly per
///   stream) and the prompt rows of their text (`promptRowsPerFrame · promptRowSeconds` each);
/// - each consumer thread (serial): one Mimi pass over the streams pinned to it (at most
///   ⌈N / consumers⌉: `decodeBase + decodePerStream · n`) and the delivery of their frames
///   (`servePerFrame` each: the hand-off, the sink's encoder, the event loop's share);
/// - all of it together on the cores other processes leave free (`availableCores`, at most
///   `cores`: measured live by `CapacityMonitor`).
///
/// N fits when each thread's work and the sum, scaled by `scale` (the live correction: measured
/// CPU over predicted, `CapacityMonitor`), stay within `frameSeconds · (1 − margin)` per thread
/// (less when under one core is free) and `availableCores` times that in all. `capacity` is the largest N that fits, at most `limit` (the
/// operator's `max_streams`). A stream admitted is never revoked: when the costs rise above what
/// the open streams need, `headroom` is 0 and new streams wait; the open ones go on.
public struct CapacityModel: Sendable, Equatable {
    /// CPU seconds of the engine's units of work, as measured (`CostProbe`) on the loaded model.
    public struct Costs: Sendable, Equatable {
        /// One batched FlowLM step of B streams: `stepBase + stepPerStream · B`.
        public var stepBase: Double
        public var stepPerStream: Double
        /// One prompt row (a text token) of FlowLM.
        public var promptRowSeconds: Double
        /// Prompt rows per frame of audio, per stream (text tokens per 80 ms of speech).
        public var promptRowsPerFrame: Double
        /// One Mimi pass decoding one frame of each of n streams: `decodeBase + decodePerStream · n`
        /// (0 base where frames are decoded stream by stream).
        public var decodeBase: Double
        public var decodePerStream: Double
        /// Serving one frame of one stream outside the model: the engine's hand-off, the sink's
        /// audio encoder, the event loop's delivery and socket write
        /// (`EngineConfiguration.servingSecondsPerFrame`). Counted on the stream's consumer
        /// (where the sink runs) and in the total; small beside a 6-layer model's frame, a
        /// tenth of a tiny model's.
        public var servePerFrame: Double

        public init(stepBase: Double, stepPerStream: Double, promptRowSeconds: Double, promptRowsPerFrame: Double = 0.3,
                    decodeBase: Double, decodePerStream: Double, servePerFrame: Double = 0) {
            self.stepBase = stepBase
            self.stepPerStream = stepPerStream
            self.promptRowSeconds = promptRowSeconds
            self.promptRowsPerFrame = promptRowsPerFrame
            self.decodeBase = decodeBase
            self.decodePerStream = decodePerStream
            self.servePerFrame = servePerFrame
        }

        /// Text tokens per frame before any is measured: English speech at about 3.5 tokens a
        /// second is 0.28 a frame; a little more, to be safe.
        public static let defaultPromptRowsPerFrame = 0.3

        /// One step of a batch of `batch` streams.
        public func step(batch: Int) -> Double { batch > 0 ? stepBase + stepPerStream * Double(batch) : 0 }

        /// One decoding pass over `streams` frames.
        public func decode(streams: Int) -> Double { streams > 0 ? decodeBase + decodePerStream * Double(streams) : 0 }

        /// One consumer's work for one frame of each of `streams` streams: the pass and the deliveries.
        public func consume(streams: Int) -> Double { decode(streams: streams) + servePerFrame * Double(streams) }
    }

    /// Where one frame period's work goes, in CPU seconds (scaled).
    public struct Load: Sendable, Equatable {
        /// The producer thread's: the batched step and the prompts.
        public var producer: Double
        /// The busiest consumer thread's.
        public var consumer: Double
        /// Everything.
        public var total: Double
    }

    public var costs: Costs
    /// Measured over predicted CPU time (1: as measured at start), from live windows.
    public var scale: Double
    /// Seconds of audio per frame (80 ms).
    public var frameSeconds: Double
    /// The share of each frame period kept free (0.2: work fills at most 80% of it), so that
    /// streams stay ahead of real time through noise, prompts and the server's own work.
    public var margin: Double
    public var cores: Int
    /// Cores other processes leave free (`cores` until measured otherwise).
    public var availableCores: Double
    public var consumers: Int
    /// Cores other engines of this process keep busy with their open streams (several models in
    /// one service: `CapacityGroup`); they are not this engine's.
    public var sharedCores = 0.0
    /// The hard bound (`max_streams`).
    public var limit: Int

    public init(costs: Costs, scale: Double = 1, frameSeconds: Double = 0.08, margin: Double, cores: Int, consumers: Int,
                limit: Int) {
        precondition(cores >= 1 && consumers >= 1 && limit >= 0 && frameSeconds > 0 && (0..<1).contains(margin),
                     "CapacityModel: out of range")
        self.costs = costs
        self.scale = scale
        self.frameSeconds = frameSeconds
        self.margin = margin
        self.cores = cores
        self.availableCores = Double(cores)
        self.consumers = consumers
        self.limit = limit
    }

    /// One frame period's work for `streams` streams, spread evenly over the consumers.
    public func load(streams n: Int) -> Load {
        guard n > 0 else { return Load(producer: 0, consumer: 0, total: 0) }
        let producer = costs.step(batch: n) + Double(n) * costs.promptRowsPerFrame * costs.promptRowSeconds
        let (perConsumer, extra) = n.quotientAndRemainder(dividingBy: consumers)
        var decoding = 0.0
        for k in 0..<consumers { decoding += costs.consume(streams: perConsumer + (k < extra ? 1 : 0)) }
        let busiest = costs.consume(streams: perConsumer + (extra > 0 ? 1 : 0))
        return Load(producer: scale * producer, consumer: scale * busiest, total: scale * (producer + decoding))
    }

    /// CPU seconds each thread may spend per frame period.
    public var budget: Double { frameSeconds * (1 - margin) }

    /// Whether `streams` streams stay ahead of real time with the margin.
    public func fits(streams n: Int) -> Bool {
        let load = load(streams: n)
        let free = min(max(availableCores - sharedCores, 0), Double(cores))
        let threadBudget = budget * min(1, free)  // one thread runs on one core at most
        return load.producer <= threadBudget && load.consumer <= threadBudget && load.total <= free * budget
    }

    /// The most streams that fit, at most `limit` (the load grows with N: the first that does not
    /// fit ends the search), and at least one: a machine too slow for one stream in real time
    /// (a debug build) still serves one at a time rather than none.
    public var capacity: Int {
        var n = 0
        while n < limit, fits(streams: n + 1) { n += 1 }
        return max(n, min(1, limit))
    }

    /// Streams that may still be admitted beside `active` open ones (0 when over capacity: the
    /// open ones are never revoked).
    public func headroom(active: Int) -> Int { max(0, capacity - active) }

    /// Whether one more stream may open beside `active` ones.
    public func admits(active: Int) -> Bool { active + 1 <= capacity }

    // MARK: Live correction

    /// Weight of one live window in `scale`.
    public static let liveWeight = 0.25
    /// How far one window may move `scale` (a factor either way): an outlier (a stall, another
    /// process's burst) shifts the estimate by at most `liveWeight` of this.
    public static let liveStepFactor = 2.0
    /// `scale` stays within these.
    public static let scaleRange = 0.25...8.0
    /// Below this share of the capacity, a live window may only make the estimate more careful.
    public static let lightLoadShare = 0.5

    /// The model after a window whose work was predicted to cost `predicted` CPU seconds (at
    /// `scale` 1) and measured `measured`: `scale` moves toward measured / predicted, each window
    /// by a bounded step.
    /// `streams`: how many streams were open in the window. A window with fewer than
    /// `lightLoadShare` of the capacity may raise `scale` but not lower it: a stream costs less
    /// at a light load (its states stay in the caches) than at the capacity a lower scale would
    /// admit (measured: `english_2m_2026-10`'s windows at 32 streams took the estimate from the
    /// probe's 204 to 234 streams, and at 234 every other admitted turn underran).
    public func updated(measured: Double, predicted: Double, streams: Double? = nil) -> CapacityModel {
        guard predicted > 0, measured.isFinite, measured >= 0 else { return self }
        var ratio = min(max(measured / predicted, scale / Self.liveStepFactor), scale * Self.liveStepFactor)
        if let streams, streams < Self.lightLoadShare * Double(capacity) { ratio = max(ratio, scale) }
        var next = self
        next.scale = min(max(scale + Self.liveWeight * (ratio - scale), Self.scaleRange.lowerBound), Self.scaleRange.upperBound)
        return next
    }

    /// Fewest cores the model counts as free: a burst of other processes does not shut the engine.
    public static let minimumAvailableShare = 0.25

    /// The model after a window in which other processes kept `busyCores` cores busy on average:
    /// `availableCores` moves toward what they left (bounded to a quarter of the cores at least).
    /// `weight` 1 sets it at once (the probe's window at start: `CapacityMonitor.beginProbe`).
    public func updated(othersBusyCores busy: Double, weight: Double = liveWeight) -> CapacityModel {
        guard busy.isFinite else { return self }
        let left = min(max(Double(cores) - busy, Double(cores) * Self.minimumAvailableShare), Double(cores))
        var next = self
        next.availableCores += min(max(weight, 0), 1) * (left - availableCores)
        return next
    }

    /// The model after a window that prompted `rows` text rows for `frames` frames: the rows per
    /// frame move toward what the window saw (bounded to 0...2).
    public func updated(promptRows rows: Int, frames: Int) -> CapacityModel {
        guard frames >= 50 else { return self }  // a few seconds of audio at least
        var next = self
        let observed = min(Double(rows) / Double(frames), 2)
        next.costs.promptRowsPerFrame += Self.liveWeight * (observed - costs.promptRowsPerFrame)
        return next
    }
}
