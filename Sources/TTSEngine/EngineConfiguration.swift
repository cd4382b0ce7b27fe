import PocketTTS

/// Settings of an `Engine`, fixed at creation.
public struct EngineConfiguration: Sendable, Equatable {
    /// Streams open at once, at most; `openStream` throws `.atCapacity` beyond this. Once the
    /// costs are measured (`Engine.measureCapacity`), the measured capacity (with
    /// `playoutMargin`) admits fewer when fewer fit: this is then the operator's upper bound.
    public var maxStreams: Int
    /// Latent frames a stream may have produced but not yet decoded (the bounded hand-off from
    /// the producer to its consumer thread). A stream whose queue is full is skipped by the producer
    /// until its consumer takes its frames (back-pressure); the other streams go on.
    public var maxQueuedFrames: Int
    /// Text tokens prompted per producer tick while other streams are stepping. A new chunk's
    /// prompt is then fed in slices of this size between the latent steps of the running
    /// streams, so it stalls them by about one slice rather than by a whole prompt. With no
    /// stream stepping, prompts go whole (each slice reads every weight once).
    public var prefillSliceTokens: Int
    /// OpenBLAS threads (process-wide, set by `start()`). See `Engine.start()` for why 1.
    public var blasThreads: Int
    /// Threads running the Mimi decoder. Each stream is pinned to one of them when it opens
    /// (the one with the fewest open streams), so its frames stay in order and its decoder
    /// state and sink are used by one thread only.
    ///
    /// Default 2, for a 2-core machine: one Mimi frame costs about as much per stream as a
    /// batched FlowLM step costs for all streams together, so from about 4 streams a single
    /// consumer is the bottleneck while the producer's core idles. Producer + 2 consumers are
    /// more threads than cores; the OS shares the cores among them, and while the producer
    /// waits on back-pressure (every queue full) both cores decode. More consumers than cores
    /// only add switching.
    public var consumerThreads: Int
    /// Most prompt tokens in one FlowLM call, whether or not other streams are stepping (a
    /// llama.cpp-style micro-batch): a prompt longer than this goes in several calls, one per
    /// tick, so no chunk holds the producer for long. The default is `TTSModel.generate`'s.
    public var maxPromptRows: Int
    /// Hard cap on a chunk's tokens for every stream: `enqueue` rejects a chunk above it (or
    /// above the stream's own `tokenCap`, if lower) with `.chunkTooLong`. It bounds a stream's
    /// KV cache: one chunk's tokens and frames (`TextChunk.maxGenerationFrames`) at a time.
    public var maxChunkTokens: Int
    /// Bytes the streams' FlowLM states may take together, or nil for no limit. Checked when
    /// the engine is made (`Engine.validate`: `maxStreams` streams of `budgetVoicePositions`
    /// voice positions, each with a chunk of `maxChunkTokens` tokens, must fit) and when a
    /// stream opens (its own voice and frame limit: `.atCapacity` when it does not fit beside
    /// the open ones). See `Engine.streamBytes`.
    public var memoryBudget: Int?
    /// Voice prompt positions a stream is budgeted with when the engine is made: 30 s of voice
    /// audio (the reference's truncation) at 12.5 frames per second.
    public var budgetVoicePositions: Int
    /// Seconds of audio a stream may be ahead of real-time playback (from its first frame) and
    /// still step while a new stream awaits its first audio; a stream further ahead waits a tick
    /// so the new stream's prompt and first frames go first (`ProducerSchedule`). It stays
    /// ahead by more than this, so its listener hears no gap.
    public var aheadLimitSeconds: Double = 1.5
    /// Prompts go whole, not in slices of `prefillSliceTokens` a tick, unless a stepping stream's
    /// lead over real-time playback (from its first frame) is less than the whole prompt's
    /// expected time (its rows × the producer's measured seconds per prompt row) plus this
    /// margin (`Producer.slicesPrompts`): no running stream runs dry for a prompt, and sessions
    /// that start together are prompted in one pass.
    public var promptMarginSeconds: Double = 0.04
    /// While a stream's first frame waits to be decoded (at most this many seconds after it was
    /// made), streams with frames still queued for their consumers do not step: the cores go to
    /// the first frames' decoding (`ProducerSchedule`). 0: no such wait.
    public var firstFrameWaitSeconds: Double = 0.15
    /// Most rows of one FlowLM call that prompts several streams together (their slices of equal
    /// length, in the reduced precisions: `FlowLM.promptsBatchAcrossStreams`). Bounds that call's
    /// scratch (about 40 KB a row at full size) and how long it holds the producer.
    public var maxBatchedPromptRows = 4 * GenerationStream.promptSliceRows
    /// The share of each 80 ms frame period the admitted streams' measured work leaves free
    /// (`CapacityModel`): 0.2 admits streams while the work fills at most 80% of every thread's
    /// time and of the cores, so each stays ahead of real time (at 1.25× or more) through noise,
    /// new prompts and the server's own work. Used once costs are measured or set.
    public var playoutMargin = 0.2
    /// CPU seconds the service spends per stream per 80 ms frame outside the model: the
    /// engine's hand-off, the sink's audio encoder, the event loop's delivery and socket write
    /// (`CapacityModel.Costs.servePerFrame`). The probe cannot time the service's share, so it is
    /// given: 50 µs is what 128 sessions of a tiny model cost on a 2-core AMD EPYC with PCM audio
    /// (profiled in Benchmarks/RESULTS.md, "Capacity of the tiny models"); the live correction
    /// scales it with the rest. Beside a full-size model's frame (about 2 ms of CPU) it is noise;
    /// beside a tiny model's (about 0.5 ms) it is a tenth.
    public var servingSecondsPerFrame = 50e-6
    /// Streams `Engine.validate` requires to fit `memoryBudget` at their worst case; nil:
    /// `maxStreams`. A server whose `maxStreams` is only a ceiling above the measured capacity
    /// sets 1: the budget is then checked for each stream as it opens (its own voice).
    public var budgetedStreams: Int?

    public init(maxStreams: Int = 16, maxQueuedFrames: Int = 8, prefillSliceTokens: Int = 16, blasThreads: Int = 1,
                consumerThreads: Int = 2, maxPromptRows: Int = GenerationStream.promptSliceRows,
                maxChunkTokens: Int = TextChunk.defaultTokenCap, memoryBudget: Int? = nil, budgetVoicePositions: Int = 375) {
        self.maxStreams = maxStreams
        self.maxQueuedFrames = maxQueuedFrames
        self.prefillSliceTokens = prefillSliceTokens
        self.blasThreads = blasThreads
        self.consumerThreads = consumerThreads
        self.maxPromptRows = maxPromptRows
        self.maxChunkTokens = maxChunkTokens
        self.memoryBudget = memoryBudget
        self.budgetVoicePositions = budgetVoicePositions
    }

    func validate() throws(EngineError) {
        guard maxStreams >= 1 else { throw .invalidConfiguration("max streams must be >= 1, got \(maxStreams)") }
        guard maxQueuedFrames >= 1 else {
            throw .invalidConfiguration("max queued frames must be >= 1, got \(maxQueuedFrames)")
        }
        guard prefillSliceTokens >= 1 else {
            throw .invalidConfiguration("prefill slice must be >= 1 token, got \(prefillSliceTokens)")
        }
        guard blasThreads >= 1 else { throw .invalidConfiguration("BLAS threads must be >= 1, got \(blasThreads)") }
        guard consumerThreads >= 1 else {
            throw .invalidConfiguration("consumer threads must be >= 1, got \(consumerThreads)")
        }
        guard maxPromptRows >= 1 else { throw .invalidConfiguration("max prompt rows must be >= 1, got \(maxPromptRows)") }
        guard maxChunkTokens >= 1 else {
            throw .invalidConfiguration("max chunk tokens must be >= 1, got \(maxChunkTokens)")
        }
        if let memoryBudget, memoryBudget < 0 {
            throw .invalidConfiguration("memory budget must be >= 0 bytes, got \(memoryBudget)")
        }
        guard (0..<1).contains(playoutMargin) else {
            throw .invalidConfiguration("playout margin must be in 0..<1, got \(playoutMargin)")
        }
        if let budgetedStreams, budgetedStreams < 1 || budgetedStreams > maxStreams {
            throw .invalidConfiguration("budgeted streams must be in 1...max streams, got \(budgetedStreams)")
        }
        guard budgetVoicePositions >= 0 else {
            throw .invalidConfiguration("budget voice positions must be >= 0, got \(budgetVoicePositions)")
        }
    }

    private static func megabytes(_ bytes: Int) -> String {
        let mb = Double(bytes) / 1_048_576
        return mb < 10 ? "\((mb * 10).rounded() / 10) MB" : "\(Int(mb.rounded())) MB"
    }
}

/// Errors of the engine's API. A failure while generating a stream reaches that stream's
/// sink (`didFail`) instead, with the model's own error.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// No room for another stream: `maxStreams` open, the measured capacity reached
    /// (`Engine.capacity`), or the memory budget full.
    case atCapacity
    /// No open stream has this id (never opened, finished, failed or cancelled).
    case unknownStream
    /// The text cannot be spoken (empty or whitespace only).
    case invalidText(String)
    /// The engine was stopped.
    case stopped
    /// Text after `finish` for this stream.
    case streamFinished
    /// Generation options the model rejects.
    case invalidOptions(String)
    /// An `EngineConfiguration` out of range.
    case invalidConfiguration(String)
    /// A chunk of `tokens` tokens, above the stream's cap (`EngineConfiguration.maxChunkTokens`,
    /// or the stream's lower `tokenCap`); nothing of that `enqueue` is queued.
    case chunkTooLong(tokens: Int, cap: Int)
    /// `maxStreams` streams would need `needed` bytes of state (`perStream` each), more than
    /// the configured `EngineConfiguration.memoryBudget`.
    case overMemoryBudget(maxStreams: Int, perStream: Int, needed: Int, budget: Int)

    public var description: String {
        switch self {
        case .atCapacity: "the engine is at capacity"
        case .unknownStream: "unknown stream"
        case .invalidText(let why): "invalid text: \(why)"
        case .stopped: "the engine is stopped"
        case .streamFinished: "the stream was finished: no more text accepted"
        case .invalidOptions(let why): "invalid generation options: \(why)"
        case .invalidConfiguration(let why): "invalid engine configuration: \(why)"
        case .chunkTooLong(let tokens, let cap): "a text chunk of \(tokens) tokens is above the cap of \(cap) tokens"
        case .overMemoryBudget(let streams, let perStream, let needed, let budget):
            "\(streams) streams need \(Self.megabytes(needed)) of state (\(Self.megabytes(perStream)) each), more than "
                + "the engine's memory budget of \(Self.megabytes(budget)): lower the max streams or raise the budget"
        }
    }

    private static func megabytes(_ bytes: Int) -> String {
        let mb = Double(bytes) / 1_048_576
        return mb < 10 ? "\((mb * 10).rounded() / 10) MB" : "\(Int(mb.rounded())) MB"
    }
}
