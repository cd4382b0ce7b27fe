import PocketTTS

/// Settings of an `Engine`, fixed at creation.
public struct EngineConfiguration: Sendable, Equatable {
    /// Streams open at once; `openStream` throws `.atCapacity` beyond this.
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

    public init(maxStreams: Int = 16, maxQueuedFrames: Int = 8, prefillSliceTokens: Int = 16, blasThreads: Int = 1,
                consumerThreads: Int = 2) {
        self.maxStreams = maxStreams
        self.maxQueuedFrames = maxQueuedFrames
        self.prefillSliceTokens = prefillSliceTokens
        self.blasThreads = blasThreads
        self.consumerThreads = consumerThreads
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
    }
}

/// Errors of the engine's API. A failure while generating a stream reaches that stream's
/// sink (`didFail`) instead, with the model's own error.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// `maxStreams` streams are open.
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

    public var description: String {
        switch self {
        case .atCapacity: "the engine is at capacity"
        case .unknownStream: "unknown stream"
        case .invalidText(let why): "invalid text: \(why)"
        case .stopped: "the engine is stopped"
        case .streamFinished: "the stream was finished: no more text accepted"
        case .invalidOptions(let why): "invalid generation options: \(why)"
        case .invalidConfiguration(let why): "invalid engine configuration: \(why)"
        }
    }
}
