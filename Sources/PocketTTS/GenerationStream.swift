/// One generated 80 ms frame: what FlowLM produced for one step and, once decoded, its audio.
/// `TTSModel.generate` hands frames out decoded; the engine's producer makes them with `audio`
/// empty and its consumer fills it in before the stream's sink sees them.
public struct GeneratedFrame: Sendable, Equatable {
    /// Index of the text chunk within the stream (counting over every `enqueue`).
    public var chunk: Int
    /// Frame index within the chunk.
    public var index: Int
    public var latent: [Float]  // [ldim] normalised, as FlowLM produced it
    public var eosLogit: Float
    public var audio: [Float]  // [frameLength] at the model's sample rate; [] until decoded

    public init(chunk: Int, index: Int, latent: [Float], eosLogit: Float, audio: [Float] = []) {
        self.chunk = chunk
        self.index = index
        self.latent = latent
        self.eosLogit = eosLogit
        self.audio = audio
    }
}

/// The chunk rules of one stream as a state machine, the one way to generate: the reference's
/// `generate_audio_stream` loop (per chunk: a copy of the voice state with room for the prompt
/// and every frame, the chunk's tokens as a prompt, steps from a NaN (BOS) latent until
/// EOS + frames-after-EOS or the length limit, EOS ignored on the first frames) cut into
/// resumable pieces. The caller runs the
/// model; the stream decides. `TTSModel.generate` drives it for one stream on the calling
/// thread; the engine's producer drives many, their prompts in slices and their steps batched.
///
/// A pure value: no model calls, no threads. The FlowLM state and the generator are fields the
/// driver passes to FlowLM (`state`, `rng`), moved in and out of batch calls.
///
///     var stream = GenerationStream(flowLM: model.flowLM, voice: voice, options: options)
///     stream.enqueue(chunks)
///     stream.finish()
///     while stream.beginNextChunk() {
///         var more = true
///         while more && stream.isPrompting {
///             try flowLM.prompt(textTokens: Array(stream.takePromptSlice(limit: 48)), state: &stream.state)
///             more = stream.promptSliceDone()
///         }
///         guard more else { continue }  // a chunk of no frames
///         while stream.isStepping {
///             let step = flowLM.step(latent: stream.latent, state: &stream.state, ..., using: &stream.rng)
///             let result = stream.record(latent: step.latent, eosLogit: step.eosLogit)
///             if let frame = result.frame { emit(frame) }
///         }
///     }
public struct GenerationStream: Sendable {
    public enum Phase: Equatable, Sendable {
        /// No chunk under way: waiting for text, or for `finish`, or finished.
        case idle
        /// Prompting the current chunk's tokens; `fed` of them are in the state.
        case prompting(fed: Int)
        /// Stepping the current chunk: the next step is `step`; `eosStep` as the reference.
        case stepping(step: Int, eosStep: Int?)
    }

    /// What one latent step meant for the stream.
    public struct StepResult: Equatable, Sendable {
        /// The frame to emit (audio empty); nil once EOS + frames-after-EOS is reached.
        public var frame: GeneratedFrame?
        /// The chunk is over (by EOS or by the length limit): the stream is idle again.
        public var endsChunk: Bool
    }

    /// Most prompt tokens fed in one FlowLM call (a llama.cpp-style micro-batch): a chunk's
    /// prompt goes in slices of at most this many rows, so one call stays within a few tens of
    /// milliseconds and its scratch small, whatever the chunk. Below `Linear.sgemmMinimumRows`:
    /// every prompt row then takes the arithmetic of a single step (CKernels linears, attention
    /// query by query), so the values do not depend on how a prompt is sliced.
    public static let promptSliceRows = 48

    public let options: GenerationOptions
    /// The prefilled voice; each chunk starts from a copy.
    public let voice: FlowLM.State
    private let emptyState: FlowLM.State  // owns no storage: `state` between chunks
    /// The noise generator, one per stream across all its chunks (`options.seed`).
    public var rng: Xoshiro256
    /// The current chunk's FlowLM state (an empty placeholder while idle).
    public var state: FlowLM.State
    public private(set) var phase: Phase = .idle
    /// Chunks enqueued and not started, in order.
    public private(set) var pending: [TextChunk] = []
    /// No more chunks will be enqueued.
    public private(set) var finishRequested = false
    /// The current (or last) chunk's number, counting from 0 over the stream; -1 before the first.
    public private(set) var chunkNumber = -1
    /// The current chunk; nil while idle.
    public private(set) var chunk: TextChunk?
    /// The current chunk's frame limit and frames after EOS (the options', else the chunk's).
    public private(set) var maxFrames = 0
    public private(set) var framesAfterEOS = 0
    /// The next step's input latent: NaN (BOS) at a chunk's start.  // [ldim]
    public private(set) var latent: [Float]

    /// A stream in `voice` (a prefilled state) for `flowLM`, with no text yet. Options are
    /// assumed valid (`GenerationOptions.validate`).
    public init(flowLM: FlowLM, voice: FlowLM.State, options: GenerationOptions) {
        self.options = options
        self.voice = voice
        self.rng = Xoshiro256(seed: options.seed)
        self.emptyState = flowLM.makeState(capacity: 0)
        self.state = emptyState
        self.latent = [Float](repeating: .nan, count: flowLM.dimensions.latentDim)
    }

    // MARK: Text in

    /// Appends chunks, spoken after every chunk enqueued before.
    public mutating func enqueue(_ chunks: [TextChunk]) {
        precondition(!finishRequested, "GenerationStream: chunks after finish()")
        pending += chunks
    }

    /// No more chunks: once the pending ones are spoken, the stream `isFinished`.
    public mutating func finish() { finishRequested = true }

    // MARK: Where the stream is

    public var isIdle: Bool { phase == .idle }
    public var isPrompting: Bool { if case .prompting = phase { true } else { false } }
    public var isStepping: Bool { if case .stepping = phase { true } else { false } }
    public var hasPendingChunks: Bool { !pending.isEmpty }
    /// Idle, finished, and nothing left to speak: the stream's end.
    public var isFinished: Bool { phase == .idle && finishRequested && pending.isEmpty }

    /// Prompt tokens of the current chunk not fed yet (0 unless prompting).
    public var promptTokensLeft: Int {
        guard case .prompting(let fed) = phase, let chunk else { return 0 }
        return chunk.tokens.count - fed
    }

    /// Frame index within the chunk of the step about to run.
    public var stepIndex: Int {
        guard case .stepping(let i, _) = phase else { preconditionFailure("GenerationStream: not stepping") }
        return i
    }

    // MARK: Transitions

    /// From idle, starts the next chunk as the reference does: a copy of the voice state with
    /// room for the prompt and every frame. Returns false if none is pending.
    public mutating func beginNextChunk() -> Bool {
        precondition(phase == .idle, "GenerationStream: a chunk is under way")
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

    /// The next at most `limit` prompt tokens of the chunk (marked fed): the caller prompts
    /// `state` with them, then calls `promptSliceDone`.  // [≤ limit]
    public mutating func takePromptSlice(limit: Int = .max) -> ArraySlice<Int> {
        guard case .prompting(let fed) = phase, let chunk else { preconditionFailure("GenerationStream: not prompting") }
        precondition(limit >= 0, "GenerationStream: negative prompt slice")
        let end = fed + min(limit, chunk.tokens.count - fed)
        phase = .prompting(fed: end)
        return chunk.tokens[fed..<end]
    }

    /// After a prompt slice: once every token is in, stepping starts from BOS; for a chunk of
    /// no frames the chunk is over instead (returns false: idle again).
    public mutating func promptSliceDone() -> Bool {
        guard case .prompting(let fed) = phase, let chunk else { preconditionFailure("GenerationStream: not prompting") }
        if fed < chunk.tokens.count { return true }
        for j in latent.indices { latent[j] = .nan }
        if maxFrames <= 0 {
            endChunk()
            return false
        }
        phase = .stepping(step: 0, eosStep: nil)
        return true
    }

    /// Applies one step's result, `next` [ldim] and its EOS logit, as the body of the
    /// reference's frame loop (4.0.1 `_autoregressive_generation`): EOS counts when the logit
    /// exceeds the options' threshold, from frame `minFramesBeforeEOS` on.
    public mutating func record(latent next: UnsafeBufferPointer<Float>, eosLogit: Float) -> StepResult {
        guard case .stepping(let i, var eosStep) = phase else { preconditionFailure("GenerationStream: not stepping") }
        precondition(next.count == latent.count, "GenerationStream: \(next.count) latent values, expected \(latent.count)")
        if eosLogit > options.sampling.eosThreshold && eosStep == nil && i >= options.minFramesBeforeEOS { eosStep = i }
        if let e = eosStep, i >= e + framesAfterEOS {
            endChunk()
            return StepResult(frame: nil, endsChunk: true)
        }
        for j in latent.indices { latent[j] = next[j] }
        let frame = GeneratedFrame(chunk: chunkNumber, index: i, latent: latent, eosLogit: eosLogit)
        if i + 1 >= maxFrames {
            endChunk()
            return StepResult(frame: frame, endsChunk: true)
        }
        phase = .stepping(step: i + 1, eosStep: eosStep)
        return StepResult(frame: frame, endsChunk: false)
    }

    /// `record` for an array latent [ldim].
    public mutating func record(latent next: [Float], eosLogit: Float) -> StepResult {
        next.withUnsafeBufferPointer { record(latent: $0, eosLogit: eosLogit) }
    }

    private mutating func endChunk() {
        phase = .idle
        chunk = nil
        state = emptyState  // frees the chunk's caches
    }
}
