import Foundation
import Kernels
import PocketTTS

/// Speech generation for many streams at once: a producer thread runs FlowLM for every open
/// stream (their latent steps batched together), `consumerThreads` consumer threads run the
/// Mimi decoder, each for the streams pinned to it, and hand each frame to its stream's sink
/// as soon as it is decoded. The producer and `TTSModel.generate` drive the same
/// `GenerationStream`, so for the same voice, options (seed) and text a stream produces the
/// frames of `generate`: the same chunk decisions, latents and EOS logits bit for bit, alone
/// or beside other streams (prompt slices and batched steps give every row the arithmetic of
/// one step, with AVX-512; with OpenBLAS alone, to float rounding), and the audio to float
/// rounding (the consumer decodes frames in fixed pairs, `generate` one by one). Nothing
/// depends on timing: the same stream gives the same audio bit for bit however busy the
/// engine or the machine.
///
/// Bounded whatever the callers do: chunks above `maxChunkTokens` are refused at `enqueue`,
/// no prompt call takes more than `maxPromptRows` tokens, a stream's KV caches hold one chunk
/// at a time, and `memoryBudget` (if set) bounds the states of all streams together.
///
/// Every method may be called from any thread, and none blocks on generation except `stop()`
/// (and `cancel`, for the one sink call it may wait for).
public final class Engine: Sendable {
    public let model: TTSModel
    public let configuration: EngineConfiguration
    let inbox: CommandInbox  // API → producer
    private let handOff: FrameHandOff  // producer → consumers
    private let threads = PipelineThreads()
    private let pool = WorkerPool()  // the producer's helper thread (started by the first prompt)
    /// What the engine can carry (Engine+Capacity.swift).
    let capacityMonitor: CapacityMonitor

    /// An engine for `model`; nothing runs before `start()`. A configuration that
    /// `Engine.validate` rejects is a programmer error: callers with settings from outside (a
    /// server's config) call `validate` first, for a typed error.
    /// `capacityGroup`: the other engines of this process (several models served at once), whose
    /// open streams take cores this engine's admission accounts for (`CapacityGroup`).
    public init(model: TTSModel, configuration: EngineConfiguration = .init(), capacityGroup: CapacityGroup? = nil) {
        do { try Self.validate(configuration, for: model) } catch { preconditionFailure("Engine: \(error)") }
        self.model = model
        self.configuration = configuration
        self.capacityMonitor = CapacityMonitor(margin: configuration.playoutMargin, consumers: configuration.consumerThreads,
                                               limit: configuration.maxStreams,
                                               frameSeconds: 1 / model.config.mimi.frameRate, group: capacityGroup)
        self.inbox = CommandInbox(configuration, capacity: capacityMonitor)
        self.handOff = FrameHandOff(capacity: configuration.maxQueuedFrames, consumers: configuration.consumerThreads)
    }

    deinit { stop() }

    /// Starts the producer and consumer threads (once; later calls do nothing).
    ///
    /// Sets OpenBLAS to `blasThreads` threads (default 1), process-wide: the pipeline threads
    /// already keep both cores of a small machine busy, OpenBLAS worker threads would
    /// fight them for the cores (and spin while waiting), and a threaded sgemm allocates its
    /// buffers on every call; the batched steps are too small to gain from splitting. Prompts
    /// (16 rows or more) share their layers with the engine's `WorkerPool` (one helper thread,
    /// which sleeps otherwise and ends with the engine) instead.
    public func start() {
        let producer = Producer(flowLM: model.flowLM, pool: pool, configuration: configuration, inbox: inbox, handOff: handOff,
                                frameSeconds: 1 / model.config.mimi.frameRate, capacity: capacityMonitor)
        let consumers = (0..<configuration.consumerThreads).map {
            Consumer(model: model, inbox: inbox, handOff: handOff, index: $0, capacity: capacityMonitor)
        }
        let blasThreads = configuration.blasThreads
        threads.start {
            BLAS.setThreadCount(blasThreads)
            return [PipelineThread(name: "tts-producer") { producer.run() }]
                + consumers.enumerated().map { i, consumer in
                    PipelineThread(name: "tts-consumer-\(i)") { consumer.run() }
                }
        }
    }

    /// Cancels every stream (no more sink calls) and joins every thread. Idempotent; the
    /// engine refuses new streams afterwards. Never call it from a sink.
    public func stop() {
        inbox.stop()
        handOff.shutDown()
        threads.join()
    }

    /// Throws `.invalidConfiguration` for settings out of range, and `.overMemoryBudget` when
    /// `budgetedStreams` (default `maxStreams`) streams (each budgeted with `budgetVoicePositions` voice positions and a
    /// chunk of `maxChunkTokens` tokens: `streamBytes`) do not fit `memoryBudget`.
    public static func validate(_ configuration: EngineConfiguration, for model: TTSModel) throws(EngineError) {
        try configuration.validate()
        guard let budget = configuration.memoryBudget else { return }
        let perStream = streamBytes(model: model, configuration: configuration,
                                    voicePositions: configuration.budgetVoicePositions, maxFrames: nil)
        let streams = configuration.budgetedStreams ?? configuration.maxStreams
        let (needed, overflow) = perStream.multipliedReportingOverflow(by: streams)
        if overflow || needed > budget {
            throw .overMemoryBudget(maxStreams: streams, perStream: perStream,
                                    needed: overflow ? .max : needed, budget: budget)
        }
    }

    /// Bytes one stream's FlowLM state takes at most: the KV caches of one chunk (a copy of a
    /// voice of `voicePositions` positions, `maxChunkTokens` prompt tokens and the chunk's frames:
    /// `maxFrames`, else `TextChunk.maxGenerationFrames` of the cap) and the scratch of a
    /// prompt call of `maxPromptRows` rows. The prefilled voice itself is shared, not counted;
    /// nor is the Mimi decoder's state, small and of fixed size.
    public static func streamBytes(model: TTSModel, configuration: EngineConfiguration, voicePositions: Int,
                                   maxFrames: Int?) -> Int {
        let tokens = configuration.maxChunkTokens
        let frames = maxFrames ?? TextChunk.maxGenerationFrames(tokenCount: tokens, frameRate: model.config.mimi.frameRate)
        return model.flowLM.stateBytes(positions: voicePositions + tokens + frames,
                                       promptRows: min(configuration.maxPromptRows, tokens))
    }

    /// Opens a stream in `voice` (a prefilled voice state; each chunk starts from a copy).
    /// Throws `.atCapacity` (`maxStreams` open, the measured capacity reached: `capacity`, or
    /// no room in the memory budget for this voice and frame limit), `.stopped`, or `.invalidOptions`.
    public func openStream(voice: FlowLM.State, options: GenerationOptions, sink: any StreamSink) throws(EngineError) -> StreamID {
        do { try options.validate() } catch { throw .invalidOptions(error.description) }
        let bytes = Self.streamBytes(model: model, configuration: configuration, voicePositions: voice.length,
                                     maxFrames: options.maxFrames)
        return try inbox.open(voice: voice, options: options, bytes: bytes) { id in handOff.open(id, sink: sink) }
    }

    /// Appends text to the stream: split into chunks (`TextChunk.chunks`, the model config's text
    /// options, the stream's `maxTokens` and `tokenCap`), spoken after everything queued before. Throws `.invalidText` for empty or
    /// whitespace-only text, `.chunkTooLong` for a chunk above the stream's cap (the engine's
    /// `maxChunkTokens` or the stream's lower `tokenCap`; nothing of the text is queued),
    /// `.unknownStream`, `.streamFinished` after `finish`, `.stopped`. Tokenizes on the calling thread.
    /// Returns the number of chunks queued.
    @discardableResult
    public func enqueue(text: String, to id: StreamID) throws(EngineError) -> Int {
        let options = try inbox.options(of: id)
        let chunks: [TextChunk]
        do {
            chunks = try TextChunk.chunks(for: text, tokenizer: model.tokenizer, config: model.config,
                                          maxTokens: options.maxTokens, tokenCap: options.tokenCap)
        } catch {
            throw .invalidText(error.description)
        }
        try enqueue(chunks: chunks, to: id)
        return chunks.count
    }

    /// Appends prepared chunks (as `enqueue(text:to:)` after chunking; the same cap).
    func enqueue(chunks: [TextChunk], to id: StreamID) throws(EngineError) {
        try inbox.enqueue(chunks, to: id)
    }

    /// No more text for the stream: `streamDidFinish` follows its last frame. Ignored for a
    /// stream that is not open.
    public func finish(_ id: StreamID) {
        inbox.finish(id)
    }

    /// Closes the stream now: the producer drops it before its next step, its states are
    /// freed, and no sink call for it starts after this returns. A call under way on the
    /// stream's consumer thread is waited for (one sink call: a sink returns quickly), except
    /// from inside that very call (a sink cancelling its own stream returns at once) or from a
    /// sink whose consumer that call is itself cancelling into (two sinks cancelling each
    /// other's streams: one of them does not wait, so neither deadlocks). For a stream that is
    /// not open (never opened, or ended) it only waits for its last call, if under way.
    public func cancel(_ id: StreamID) {
        inbox.cancel(id)
        handOff.cancel(id)
    }

    /// Streams opened and not yet finished, failed or cancelled.
    public var activeStreamCount: Int { inbox.openCount }

    /// Bytes of `configuration.memoryBudget` the open streams hold (`streamBytes` each).
    public var reservedMemory: Int { inbox.reservedMemory }
}

/// The engine's threads: started once, joined once.
private final class PipelineThreads: @unchecked Sendable {  // all state behind `lock`
    private let lock = NSLock()
    private var started = false
    private var threads: [PipelineThread] = []

    func start(_ make: () -> [PipelineThread]) {
        lock.lock()
        defer { lock.unlock() }
        if started { return }
        started = true
        threads = make()
    }

    func join() {
        lock.lock()
        started = true  // a stopped engine never starts
        let joining = threads
        threads = []
        lock.unlock()
        for thread in joining {
            precondition(!thread.isCurrent, "Engine.stop() called on a pipeline thread (from a sink?)")
            thread.join()
        }
    }
}
