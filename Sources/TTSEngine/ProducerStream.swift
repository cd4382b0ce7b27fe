import PocketTTS

/// One stream as the producer thread sees it: the chunk loop of `TTSModel.generate`, cut into
/// resumable pieces (a prompt slice, one latent step) so that many streams can interleave.
/// Plain value, owned by the producer; the FlowLM state is moved in and out of batch calls.
struct ProducerStream {
    enum Phase: Equatable {
        /// No chunk under way: waiting for text, or for `finish`.
        case idle
        /// Prompting the current chunk's tokens; `fed` of them are in the state.
        case prompting(fed: Int)
        /// Stepping the current chunk: the next step is `step`; `eosStep` as the reference.
        case stepping(step: Int, eosStep: Int?)
    }

    /// What one latent step meant for the stream.
    enum StepOutcome: Equatable {
        /// Emit the frame; the chunk goes on.
        case frame
        /// Emit the frame; it was the chunk's last (the length limit).
        case lastFrame
        /// Do not emit: EOS + frames-after-EOS reached; the chunk is over.
        case endOfChunk
    }

    let id: StreamID
    let options: GenerationOptions
    let voice: FlowLM.State  // the prefilled voice; each chunk starts from a copy
    private let emptyState: FlowLM.State  // owns no storage: `state` between chunks
    var rng: Xoshiro256  // one per stream, across all its chunks (as one `generate` call)
    var pending: [TextChunk] = []  // chunks not started, in order
    var finishRequested = false
    private(set) var phase: Phase = .idle
    private(set) var chunkNumber = -1  // the current (or last) chunk
    private(set) var chunk: TextChunk?
    private(set) var maxFrames = 0
    private(set) var framesAfterEOS = 0
    /// The current chunk's FlowLM state (a placeholder when idle).
    var state: FlowLM.State
    /// The next step's input latent: NaN (BOS) at a chunk's start.  // [latentDim]
    private(set) var latent: [Float]

    init(id: StreamID, voice: FlowLM.State, options: GenerationOptions, placeholder: FlowLM.State, latentDim: Int) {
        self.id = id
        self.options = options
        self.voice = voice
        self.rng = Xoshiro256(seed: options.seed)
        self.emptyState = placeholder
        self.state = placeholder
        self.latent = [Float](repeating: .nan, count: latentDim)
    }

    var isPrompting: Bool { if case .prompting = phase { true } else { false } }
    var isStepping: Bool { if case .stepping = phase { true } else { false } }
    /// Idle with something to do: start a chunk or report the end.
    var canAdvance: Bool { phase == .idle && (!pending.isEmpty || finishRequested) }

    /// From idle, starts the next chunk as the reference does: a copy of the voice state with
    /// room for the prompt and every frame. Returns false if there is none.
    mutating func beginNextChunk() -> Bool {
        precondition(phase == .idle, "ProducerStream: a chunk is under way")
        guard !pending.isEmpty else { return false }
        let next = pending.removeFirst()
        chunk = next
        chunkNumber += 1
        maxFrames = options.maxFrames ?? next.maxGenerationFrames
        framesAfterEOS = options.framesAfterEOS ?? next.framesAfterEOS
        state = voice
        state.reserveCapacity(state.length + next.tokens.count + maxFrames)
        phase = .prompting(fed: 0)
        return true
    }

    /// The next at most `limit` prompt tokens of the chunk (marked fed).  // [≤ limit]
    mutating func takePromptSlice(limit: Int) -> ArraySlice<Int> {
        guard case .prompting(let fed) = phase, let chunk else { preconditionFailure("ProducerStream: not prompting") }
        let end = fed + min(limit, chunk.tokens.count - fed)  // limit may be Int.max
        phase = .prompting(fed: end)
        return chunk.tokens[fed..<end]
    }

    /// After a prompt slice: once every token is in, stepping starts from BOS (or, for a
    /// zero-frame chunk, the chunk is over: returns false).
    mutating func promptSliceDone() -> Bool {
        guard case .prompting(let fed) = phase, let chunk else { preconditionFailure("ProducerStream: not prompting") }
        if fed < chunk.tokens.count { return true }
        for j in latent.indices { latent[j] = .nan }
        if maxFrames <= 0 {
            endChunk()
            return false
        }
        phase = .stepping(step: 0, eosStep: nil)
        return true
    }

    /// Applies one step's result (the body of the reference's frame loop).
    mutating func record(latent next: UnsafeBufferPointer<Float>, isEndOfSpeech: Bool) -> StepOutcome {
        guard case .stepping(let i, var eosStep) = phase else { preconditionFailure("ProducerStream: not stepping") }
        if isEndOfSpeech && eosStep == nil { eosStep = i }
        if let e = eosStep, i >= e + framesAfterEOS {
            endChunk()
            return .endOfChunk
        }
        for j in latent.indices { latent[j] = next[j] }
        if i + 1 >= maxFrames {
            endChunk()
            return .lastFrame
        }
        phase = .stepping(step: i + 1, eosStep: eosStep)
        return .frame
    }

    /// Frame index within the chunk of the step about to run.
    var stepIndex: Int {
        guard case .stepping(let i, _) = phase else { preconditionFailure("ProducerStream: not stepping") }
        return i
    }

    private mutating func endChunk() {
        phase = .idle
        chunk = nil
        state = emptyState  // frees the chunk's caches
    }
}
