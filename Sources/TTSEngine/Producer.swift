import Foundation
import Kernels
import PocketTTS

/// The producer thread's work: FlowLM for every open stream, each a `GenerationStream` (the
/// chunk rules `TTSModel.generate` follows too). Each tick it applies the API's commands,
/// feeds prompt tokens (`promptSlices`: at most `maxPromptRows` per call, and while a stream
/// is stepping at most `prefillSliceTokens` in all), then runs one latent step for every stepping stream with room
/// in its frame queue, all together through `FlowLM.stepBatch` (one call per distinct
/// `FlowLMSampling`). Which streams go first is `ProducerSchedule`'s: new streams' prompts and
/// first frames before streams far ahead of real time. Used only on the producer thread once started.
final class Producer: @unchecked Sendable {
    /// One open stream as the producer sees it.
    struct Stream {
        let id: StreamID
        var generation: GenerationStream
        var frames = 0  // frames made so far, all chunks
        var firstFrameTime: Double?  // `now` of the tick that made the first frame
    }

    private let flowLM: FlowLM
    private let pool: WorkerPool  // the engine's: prompts (and steps of 16+ streams) share their layers with it
    private let sliceTokens: Int
    private let maxPromptRows: Int
    private let maxBatchedPromptRows: Int
    private let aheadLimit: Double  // seconds (EngineConfiguration.aheadLimitSeconds)
    private let promptMargin: Double  // seconds (EngineConfiguration.promptMarginSeconds)
    private let firstFrameWait: Double  // seconds (EngineConfiguration.firstFrameWaitSeconds)
    /// Wall seconds per prompt row, a moving average of this producer's prompt calls.
    private var promptSecondsPerRow = 1e-3
    private let frameSeconds: Double  // audio per frame
    private let inbox: CommandInbox
    private let handOff: FrameHandOff
    /// Told of the work done, for the live cost estimate.
    private let capacity: CapacityMonitor?
    private let emptyState: FlowLM.State  // owns no storage: stands in for moved-out states
    /// Open streams, oldest first.
    private(set) var streams: [Stream] = []

    // Batch scratch, reused every tick.
    private var workspace = FlowLM.Workspace()
    private var batchStates: [FlowLM.State] = []  // [B]: moved in from the streams, then back
    private var batchGenerators: [Xoshiro256] = []  // [B]
    private var batchLatents: [Float] = []  // [B, latentDim] inputs, then outputs (in place)
    private var batchLogits: [Float] = []  // [B]

    init(flowLM: FlowLM, pool: WorkerPool, configuration: EngineConfiguration, inbox: CommandInbox, handOff: FrameHandOff,
         frameSeconds: Double = 0.08, capacity: CapacityMonitor? = nil) {
        self.flowLM = flowLM
        self.pool = pool
        self.capacity = capacity
        self.aheadLimit = configuration.aheadLimitSeconds
        self.promptMargin = configuration.promptMarginSeconds
        self.firstFrameWait = configuration.firstFrameWaitSeconds
        self.frameSeconds = frameSeconds
        self.sliceTokens = configuration.prefillSliceTokens
        self.maxPromptRows = configuration.maxPromptRows
        self.maxBatchedPromptRows = configuration.maxBatchedPromptRows
        self.inbox = inbox
        self.handOff = handOff
        self.emptyState = flowLM.makeState(capacity: 0)
    }

    /// The thread body: returns once the inbox is stopped, with every state freed.
    func run() {
        while let commands = inbox.take(idle: !hasWork) { tick(applying: commands, now: Producer.monotonicSeconds()) }
        streams.removeAll()
        handOff.shutDown()
    }

    /// Something to do without a new command (streams that the schedule holds back do not
    /// count: the consumer wakes the producer when it decodes a first frame).
    var hasWork: Bool {
        let pending = streams.contains { s in
            let g = s.generation
            return (g.isIdle && (g.hasPendingChunks || g.isFinished)) || g.isPrompting
        }
        return pending || schedule(now: Self.monotonicSeconds(), ended: []).stepping.contains { handOff.hasRoom(streams[$0].id) }
    }

    /// How many prompt tokens each prompting stream feeds this tick, oldest first (`tokensLeft`
    /// lists what each still has to feed; streams past the result's end wait). Never more than
    /// `maxRows` in one call (a micro-batch: no prompt holds the producer for long, whatever the
    /// chunk). When `slicing` (a stepping stream is close to running dry:
    /// `ProducerSchedule.slicesPrompts`), `sliceTokens` in all: a new chunk delays the running
    /// streams' next step by one slice at most. Otherwise up to `maxRows` for every prompting
    /// stream (first audio sooner). Slicing gives the values of one call
    /// (`GenerationStream.promptSliceRows`): positions continue from the cache length.
    static func promptSlices(tokensLeft: [Int], slicing: Bool, sliceTokens: Int, maxRows: Int) -> [Int] {
        var budget = slicing ? sliceTokens : Int.max
        var slices: [Int] = []
        for left in tokensLeft {
            if budget == 0 { break }
            let n = min(left, budget, maxRows)
            slices.append(n)
            budget -= n
        }
        return slices
    }

    /// Whether this tick's prompts go in slices: only when the stepping stream closest to
    /// running dry (`steppingLead`, seconds; nil: none has frames yet) leads by less than the
    /// whole prompts' expected time plus `margin`.
    static func slicesPrompts(steppingLead: Double?, wholeRows: Int, secondsPerRow: Double, margin: Double) -> Bool {
        guard let lead = steppingLead, wholeRows > 0 else { return false }
        return lead < Double(wholeRows) * secondsPerRow + margin
    }

    // MARK: One tick

    /// Seconds on a monotonic clock (the producer thread's `now`).
    static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Applies the commands, then advances every stream once (`ProducerSchedule`), `now` in
    /// seconds on a monotonic clock.
    func tick(applying commands: [ProducerCommand], now: Double = Producer.monotonicSeconds()) {
        for command in commands { apply(command) }
        capacity?.tick(now: now)
        var ended: [StreamID] = []
        advanceIdleStreams(ended: &ended)
        let before = schedule(now: now, ended: ended)
        let wholeRows = before.prompting.reduce(0) { $0 + min(streams[$1].generation.promptTokensLeft, maxPromptRows) }
        let slicing = Self.slicesPrompts(steppingLead: before.steppingLead, wholeRows: wholeRows,
                                         secondsPerRow: promptSecondsPerRow, margin: promptMargin)
        prompt(before.prompting, slicing: slicing, ended: &ended)
        step(schedule(now: now, ended: ended).stepping, now: now)  // with the streams whose prompt just ended
        // A chunk that just ended may be followed at once (next tick's prompt, or the end).
        advanceIdleStreams(ended: &ended)
        if !ended.isEmpty { streams.removeAll { ended.contains($0.id) } }
    }

    /// Where the open streams stand (`ProducerSchedule`), streams that `ended` left out.
    private func schedule(now: Double, ended: [StreamID]) -> ProducerSchedule {
        ProducerSchedule(streams: streams.map { s in
            let open = !ended.contains(s.id)
            let progress = handOff.progress(s.id)
            let firstFrameWaits = s.firstFrameTime.map { now - $0 < firstFrameWait } ?? false
                && progress.map { !$0.firstFrameDecoded } ?? false
            return ProducerSchedule.Stream(
                isPrompting: open && s.generation.isPrompting, isStepping: open && s.generation.isStepping,
                lead: ProducerSchedule.lead(frames: s.frames, frameSeconds: frameSeconds, firstFrameTime: s.firstFrameTime,
                                            now: now),
                firstFrameWaits: open && firstFrameWaits, hasQueuedFrames: (progress?.queuedFrames ?? 0) > 0)
        }, aheadLimit: aheadLimit)
    }

    private func apply(_ command: ProducerCommand) {
        switch command {
        case .open(let id, let voice, let options):
            streams.append(Stream(id: id, generation: GenerationStream(flowLM: flowLM, voice: voice, options: options)))
        case .enqueue(let id, let chunks):
            if let i = index(of: id) { streams[i].generation.enqueue(chunks) }
        case .finish(let id):
            if let i = index(of: id) { streams[i].generation.finish() }
        case .cancel(let id):
            // Frees the stream's FlowLM state now; its consumer drops the rest.
            if let i = index(of: id) { streams.remove(at: i) }
        }
    }

    private func index(of id: StreamID) -> Int? { streams.firstIndex { $0.id == id } }

    /// Idle streams start their next chunk, or report the end once finished.
    private func advanceIdleStreams(ended: inout [StreamID]) {
        for i in streams.indices where streams[i].generation.isIdle && !ended.contains(streams[i].id) {
            if streams[i].generation.beginNextChunk() { continue }
            if streams[i].generation.isFinished {
                handOff.push(.finished, for: streams[i].id)
                ended.append(streams[i].id)
            }
        }
    }

    /// Feeds this tick's prompt slices (`promptSlices`) to `prompting` (stream indices, in
    /// order): streams with slices of the same length together in one FlowLM call where that
    /// gives each the values of its own call (`FlowLM.promptsBatchAcrossStreams`), at most
    /// `maxBatchedPromptRows` rows a call; otherwise one call per stream.
    private func prompt(_ prompting: [Int], slicing: Bool, ended: inout [StreamID]) {
        let slices = Self.promptSlices(tokensLeft: prompting.map { streams[$0].generation.promptTokensLeft },
                                       slicing: slicing, sliceTokens: sliceTokens, maxRows: maxPromptRows)
        var groups: [(rows: Int, members: [Int])] = []
        for (i, n) in zip(prompting, slices) {
            if flowLM.promptsBatchAcrossStreams, n > 0,
               let g = groups.firstIndex(where: { $0.rows == n && ($0.members.count + 1) * n <= maxBatchedPromptRows }) {
                groups[g].members.append(i)
            } else {
                groups.append((n, [i]))
            }
        }
        for group in groups {
            let tokens = group.members.map { Array(streams[$0].generation.takePromptSlice(limit: group.rows)) }
            var errors: [FlowLMError?] = Array(repeating: nil, count: group.members.count)
            let started = Self.monotonicSeconds()
            if group.members.count > 1, (try? promptTogether(group.members, tokens: tokens)) != nil {
                // done: every stream has its slice
            } else {  // alone (or, after a bad token, each alone: only its stream fails)
                for (k, i) in group.members.enumerated() {
                    do { try flowLM.prompt(textTokens: tokens[k], state: &streams[i].generation.state, pool: pool) } catch { errors[k] = error }
                }
            }
            let rows = tokens.reduce(0) { $0 + $1.count }
            capacity?.recordPrompt(rows: rows)
            if rows >= 4 {  // a moving average of the wall time per row, for `slicesPrompts`
                promptSecondsPerRow = 0.7 * promptSecondsPerRow + 0.3 * (Self.monotonicSeconds() - started) / Double(rows)
            }
            for (k, i) in group.members.enumerated() {
                if let error = errors[k] {
                    handOff.push(.failed(error), for: streams[i].id)  // only this stream fails
                    ended.append(streams[i].id)
                } else if !streams[i].generation.promptSliceDone() {  // a chunk of no frames
                    handOff.push(.endOfChunk(streams[i].generation.chunkNumber), for: streams[i].id)
                }
            }
        }
    }

    /// One FlowLM call feeding `tokens[k]` (equal lengths) to stream `members[k]`; throws, with
    /// no state changed, on a token out of range.
    private func promptTogether(_ members: [Int], tokens: [[Int]]) throws(FlowLMError) {
        let B = members.count
        if batchStates.count < B { batchStates += Array(repeating: emptyState, count: B - batchStates.count) }
        for (k, i) in members.enumerated() { swap(&batchStates[k], &streams[i].generation.state) }  // moves
        defer { for (k, i) in members.enumerated() { swap(&batchStates[k], &streams[i].generation.state) } }
        try batchStates.withUnsafeMutableBufferPointer { (states) throws(FlowLMError) in
            try flowLM.prompt(textTokens: tokens, states: UnsafeMutableBufferPointer(rebasing: states[0..<B]),
                              workspace: &workspace, pool: pool)
        }
    }

    /// One latent step for each of `candidates` (stepping stream indices) with room in its frame
    /// queue (back-pressure: a full stream is skipped this tick, the others go on), grouped by
    /// sampling settings.
    private func step(_ candidates: [Int], now: Double) {
        var groups: [(sampling: FlowLMSampling, members: [Int])] = []
        for i in candidates.sorted() where handOff.hasRoom(streams[i].id) {
            let sampling = streams[i].generation.options.sampling
            if let g = groups.firstIndex(where: { $0.sampling == sampling }) {
                groups[g].members.append(i)
            } else {
                groups.append((sampling, [i]))
            }
        }
        for group in groups { stepBatch(group.members, sampling: group.sampling, now: now) }
    }

    private func stepBatch(_ members: [Int], sampling: FlowLMSampling, now: Double) {
        let (B, l) = (members.count, flowLM.dimensions.latentDim)
        if batchStates.count < B { batchStates += Array(repeating: emptyState, count: B - batchStates.count) }
        batchGenerators.removeAll(keepingCapacity: true)
        batchLatents.removeAll(keepingCapacity: true)
        for (k, i) in members.enumerated() {
            swap(&batchStates[k], &streams[i].generation.state)  // a move: the caches stay uniquely owned
            batchGenerators.append(streams[i].generation.rng)
            batchLatents += streams[i].generation.latent
        }
        if batchLogits.count < B { batchLogits = [Float](repeating: 0, count: B) }
        batchStates.withUnsafeMutableBufferPointer { states in
            batchGenerators.withUnsafeMutableBufferPointer { generators in
                batchLatents.withUnsafeMutableBufferPointer { latents in
                    batchLogits.withUnsafeMutableBufferPointer { logits in
                        flowLM.stepBatch(
                            latents: UnsafeBufferPointer(latents), states: UnsafeMutableBufferPointer(rebasing: states[0..<B]),
                            generators: generators, sampling: sampling, workspace: &workspace,
                            latentsOut: latents, eosLogits: UnsafeMutableBufferPointer(rebasing: logits[0..<B]), pool: pool)
                    }
                }
            }
        }
        capacity?.recordStep(batch: B)
        for (k, i) in members.enumerated() {
            swap(&batchStates[k], &streams[i].generation.state)
            streams[i].generation.rng = batchGenerators[k]
            let result = batchLatents.withUnsafeBufferPointer { all in
                streams[i].generation.record(latent: UnsafeBufferPointer(rebasing: all[k * l..<(k + 1) * l]),
                                             eosLogit: batchLogits[k])
            }
            let id = streams[i].id
            if let frame = result.frame {
                if streams[i].firstFrameTime == nil { streams[i].firstFrameTime = now }
                streams[i].frames += 1
                handOff.push(.frame(frame), for: id)
            }
            if result.endsChunk { handOff.push(.endOfChunk(streams[i].generation.chunkNumber), for: id) }
        }
    }
}
