import PocketTTS
import Synchronization

/// The producer thread's work: FlowLM for every open stream. Each tick it applies the API's
/// commands, feeds prompt tokens (oldest prompting streams first: at most
/// `prefillSliceTokens` while some stream is stepping, else whole prompts), then runs one
/// latent step for every stepping stream with room in its frame queue, all together through
/// `FlowLM.stepBatch` (one call per distinct `FlowLMSampling`). Used only on the producer
/// thread once started.
final class Producer: @unchecked Sendable {
    private let flowLM: FlowLM
    private let sliceTokens: Int
    private let inbox: CommandInbox
    private let handOff: FrameHandOff
    private let promptCalls: PromptCallCounter?
    private let emptyState: FlowLM.State  // owns no storage: stands in for moved-out states
    private var streams: [ProducerStream] = []  // open streams, oldest first

    // Batch scratch, reused every tick.
    private var workspace = FlowLM.Workspace()
    private var batchStates: [FlowLM.State] = []  // [B]: moved in from the streams, then back
    private var batchGenerators: [Xoshiro256] = []  // [B]
    private var batchLatents: [Float] = []  // [B, latentDim] inputs, then outputs (in place)
    private var batchLogits: [Float] = []  // [B]

    init(flowLM: FlowLM, configuration: EngineConfiguration, inbox: CommandInbox, handOff: FrameHandOff,
         promptCalls: PromptCallCounter? = nil) {
        self.flowLM = flowLM
        self.promptCalls = promptCalls
        self.sliceTokens = configuration.prefillSliceTokens
        self.inbox = inbox
        self.handOff = handOff
        self.emptyState = flowLM.makeState(capacity: 0)
    }

    /// The thread body: returns once the inbox is stopped, with every state freed.
    func run() {
        while let commands = inbox.take(idle: !hasWork) {
            for command in commands { apply(command) }
            tick()
        }
        streams.removeAll()
        handOff.shutDown()
    }

    /// Something to do without a new command.
    private var hasWork: Bool {
        streams.contains { s in s.canAdvance || s.isPrompting || (s.isStepping && handOff.hasRoom(s.id)) }
    }

    private func apply(_ command: ProducerCommand) {
        switch command {
        case .open(let id, let voice, let options):
            streams.append(ProducerStream(id: id, voice: voice, options: options, placeholder: emptyState,
                                          latentDim: flowLM.dimensions.latentDim))
        case .enqueue(let id, let chunks):
            if let i = index(of: id) { streams[i].pending += chunks }
        case .finish(let id):
            if let i = index(of: id) { streams[i].finishRequested = true }
        case .cancel(let id):
            // Frees the stream's FlowLM state now; its consumer drops the rest.
            if let i = index(of: id) { streams.remove(at: i) }
        }
    }

    private func index(of id: StreamID) -> Int? { streams.firstIndex { $0.id == id } }

    // MARK: One tick

    private func tick() {
        var ended: [StreamID] = []
        advanceIdleStreams(ended: &ended)
        prompt(ended: &ended)
        step()
        // A chunk that just ended may be followed at once (next tick's prompt, or the end).
        advanceIdleStreams(ended: &ended)
        if !ended.isEmpty { streams.removeAll { ended.contains($0.id) } }
    }

    /// Idle streams start their next chunk, or report the end once finished.
    private func advanceIdleStreams(ended: inout [StreamID]) {
        for i in streams.indices where streams[i].canAdvance && !ended.contains(streams[i].id) {
            if !streams[i].beginNextChunk() {  // nothing pending: finish was requested
                handOff.push(.finished, for: streams[i].id)
                ended.append(streams[i].id)
            }
        }
    }

    /// Feeds up to `sliceTokens` prompt tokens, oldest streams first, while some stream is
    /// stepping: a new chunk delays the running streams' next step by one slice at most.
    /// With nothing to stall, whole prompts (one pass over the weights: first audio sooner).
    /// Slicing gives the state of one call: positions continue from the cache length.
    private func prompt(ended: inout [StreamID]) {
        var budget = streams.contains(where: \.isStepping) ? sliceTokens : Int.max
        for i in streams.indices where budget > 0 && streams[i].isPrompting && !ended.contains(streams[i].id) {
            let tokens = Array(streams[i].takePromptSlice(limit: budget))
            budget -= tokens.count
            do {
                promptCalls?.increment()
                try flowLM.prompt(textTokens: tokens, state: &streams[i].state)
            } catch {
                handOff.push(.failed(error), for: streams[i].id)  // only this stream fails
                ended.append(streams[i].id)
                continue
            }
            if !streams[i].promptSliceDone() {  // a chunk of zero frames
                handOff.push(.endOfChunk(streams[i].chunkNumber), for: streams[i].id)
            }
        }
    }

    /// One latent step for every stepping stream with room in its frame queue (back-pressure:
    /// a full stream is skipped this tick, the others go on), grouped by sampling settings.
    private func step() {
        var groups: [(sampling: FlowLMSampling, members: [Int])] = []
        for i in streams.indices where streams[i].isStepping && handOff.hasRoom(streams[i].id) {
            let sampling = streams[i].options.sampling
            if let g = groups.firstIndex(where: { $0.sampling == sampling }) {
                groups[g].members.append(i)
            } else {
                groups.append((sampling, [i]))
            }
        }
        for group in groups { stepBatch(group.members, sampling: group.sampling) }
    }

    private func stepBatch(_ members: [Int], sampling: FlowLMSampling) {
        let (B, l) = (members.count, flowLM.dimensions.latentDim)
        if batchStates.count < B { batchStates += Array(repeating: emptyState, count: B - batchStates.count) }
        batchGenerators.removeAll(keepingCapacity: true)
        batchLatents.removeAll(keepingCapacity: true)
        for (k, i) in members.enumerated() {
            swap(&batchStates[k], &streams[i].state)  // a move: the caches stay uniquely owned
            batchGenerators.append(streams[i].rng)
            batchLatents += streams[i].latent
        }
        if batchLogits.count < B { batchLogits = [Float](repeating: 0, count: B) }
        batchStates.withUnsafeMutableBufferPointer { states in
            batchGenerators.withUnsafeMutableBufferPointer { generators in
                batchLatents.withUnsafeMutableBufferPointer { latents in
                    batchLogits.withUnsafeMutableBufferPointer { logits in
                        flowLM.stepBatch(
                            latents: UnsafeBufferPointer(latents), states: UnsafeMutableBufferPointer(rebasing: states[0..<B]),
                            generators: generators, sampling: sampling, workspace: &workspace,
                            latentsOut: latents, eosLogits: UnsafeMutableBufferPointer(rebasing: logits[0..<B]))
                    }
                }
            }
        }
        for (k, i) in members.enumerated() {
            swap(&batchStates[k], &streams[i].state)
            streams[i].rng = batchGenerators[k]
            let index = streams[i].stepIndex
            let chunk = streams[i].chunkNumber
            let logit = batchLogits[k]
            let outcome = batchLatents.withUnsafeBufferPointer { all in
                streams[i].record(latent: UnsafeBufferPointer(rebasing: all[k * l..<(k + 1) * l]),
                                  isEndOfSpeech: logit > sampling.eosThreshold)
            }
            let id = streams[i].id
            if outcome != .endOfChunk {
                let frame = LatentFrame(chunk: chunk, index: index, latent: Array(batchLatents[k * l..<(k + 1) * l]),
                                        eosLogit: logit)
                handOff.push(.frame(frame), for: id)
            }
            if outcome != .frame { handOff.push(.endOfChunk(chunk), for: id) }
        }
    }
}

/// Counts the producer's FlowLM prompt calls (slices), for tests through the engine.
final class PromptCallCounter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
