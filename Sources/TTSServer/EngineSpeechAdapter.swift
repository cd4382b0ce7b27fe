// EngineSpeechAdapter.swift: `SpeechEngine` over TTSEngine's `Engine` and a `VoiceRegistry`.
//
// Nothing slow runs on the caller's (event-loop) thread: voices are looked up in the registry's
// table and cache (no I/O), and text is tokenized and handed to the engine by a serial
// worker (`SpeechWorkQueue`), a turn's chunks and finish in order; a cancel acts at once. A
// directory voice not in memory is read by a second serial worker (`voiceLoads`), which then
// opens the turn's stream; the turn's chunks wait for it (`OpenStream.waiting`), in order.
//
// One engine stream per turn. Each turn's `StreamSink` owns the turn's `AudioEncoder` and runs
// it on the turn's consumer thread (the engine thread that decodes its audio; turns may be on
// different ones), then reports the encoded payloads through `SpeechEngineEvents`, which posts
// them to the event loop. What turns share (`streams`, the events relay, the loop's mailbox) is
// behind locks; each turn's encoder and resampler are its own.
import Logging
import PocketTTS
import Synchronization
import TTSEngine

public final class EngineSpeechAdapter: SpeechEngine {
    public let engine: Engine
    /// The smallest chunk cap a stream gets: preparing a chunk for the prompt adds a few tokens
    /// to what the segmenter counted, so a `max_tokens` of 1 or 2 could never be met (a fuzzed
    /// config got `internal_error` for a 1-character chunk). Chunks stay as the segmenter cut them.
    static let minimumStreamTokenCap = 16
    /// The voices offered: an immutable table, looked up without I/O; reload and uploads swap it.
    public let voiceRegistry: VoiceRegistry
    /// Bits per second of `opus` and `ogg` audio.
    public let opusBitrate: Int
    /// Voices cloned from clients' uploads (issue 12), offered under their content ids.
    public let uploads = UploadedVoices()
    /// Names that stand for another voice (demo mode: the predefined names for the demo voice;
    /// see `DemoVoiceAliases`). Each alias's first use is logged.
    public let voiceAliases: [String: String]
    private let usedAliases = Mutex<Set<String>>([])
    private let logger = Logger(label: "pocket-tts.engine")
    /// Open turns' streams and sinks.
    private let streams = Mutex<[TurnKey: OpenStream]>([:])
    /// Tokenizing and handing text to the engine, off the event-loop thread, in order.
    private let work: SpeechWorkQueue
    /// Reading directory voices not in memory, then opening their turns' streams.
    private let voiceLoads: SpeechWorkQueue
    /// Text → the engine (`Engine.enqueue(text:to:)`: tokenizes; the chunks queued); runs on `work`.
    private let enqueueText: @Sendable (String, StreamID) throws(EngineError) -> Int

    /// Serves the voices of `voices` (resolved beforehand: see `VoiceRegistry.reload`).
    /// `maxQueuedSpeech` bounds the chunks and finishes waiting to be tokenized, all turns
    /// together; a turn whose chunk finds the queue full fails. `voiceAliases`: names that stand
    /// for another voice (demo mode), offered when their target is and they name no voice.
    public convenience init(engine: Engine, voices: VoiceRegistry, opusBitrate: Int = defaultOpusBitrate,
                            maxQueuedSpeech: Int = ServerConfig().maxQueuedSpeech, voiceAliases: [String: String] = [:]) {
        self.init(engine: engine, voices: voices, opusBitrate: opusBitrate, maxQueuedSpeech: maxQueuedSpeech,
                  voiceAliases: voiceAliases) {
            (text: String, id: StreamID) throws(EngineError) -> Int in try engine.enqueue(text: text, to: id)
        }
    }

    /// `enqueueText` replaces the engine's text step (tests: a slow tokenizer).
    init(engine: Engine, voices: VoiceRegistry, opusBitrate: Int, maxQueuedSpeech: Int, voiceAliases: [String: String] = [:],
         enqueueText: @escaping @Sendable (String, StreamID) throws(EngineError) -> Int) {
        self.engine = engine
        voiceRegistry = voices
        self.opusBitrate = opusBitrate
        work = SpeechWorkQueue(capacity: max(1, maxQueuedSpeech))
        voiceLoads = SpeechWorkQueue(label: "pocket-tts.voice-loads", capacity: max(1, maxQueuedSpeech))
        self.enqueueText = enqueueText
        let offered = voices.table.names
        self.voiceAliases = voiceAliases.filter { offered.contains($0.value) && !offered.contains($0.key) }
    }

    /// Voices given by state (`fixedVoices`, which win) and every voice of `library`, loaded
    /// now on this thread (a voice that fails is logged and not offered).
    public convenience init(engine: Engine, library: VoiceLibrary? = nil, fixedVoices: [String: FlowLM.State] = [:],
                            opusBitrate: Int = defaultOpusBitrate, voiceAliases: [String: String] = [:]) {
        let registry = VoiceRegistry(library: library, fixed: fixedVoices)
        Self.log(registry.reload(), logger: Logger(label: "pocket-tts.engine"))
        self.init(engine: engine, voices: registry, opusBitrate: opusBitrate, voiceAliases: voiceAliases)
    }

    /// The voices a config may name: those of the current table. A voice that failed to load
    /// is not offered (a config naming it gets `unknown_voice`).
    public var voices: Set<String> { voiceRegistry.table.names.union(uploads.ids).union(voiceAliases.keys) }

    /// The voices and uploads are its own (one model).
    public func voiceStore(model: String?) -> EngineSpeechAdapter? { self }

    /// The library's voices that loaded.
    public var libraryVoices: Set<String> { voiceRegistry.table.names { if case .loaded = $0 { true } else { false } } }

    /// Logs a reload: the voices loaded, and each failure as a warning.
    public static func log(_ report: VoiceReloadReport, logger: Logger) {
        for (name, error) in report.failures { logger.warning("voice \(name) not usable: \(error)") }
        guard !report.loaded.isEmpty else { return }
        let shown = report.loaded.prefix(32).joined(separator: ", ") + (report.loaded.count > 32 ? ", ..." : "")
        logger.info("voices listed (\(report.loaded.count), read on first use): \(shown)")
    }

    public var tokenCounter: any TokenCounting {
        PromptTokenCounter(tokenizer: engine.model.tokenizer, options: engine.model.config.text)
    }

    /// Turns with an open stream.
    public var openTurnCount: Int { streams.withLock { $0.count } }

    /// The engine's capacity (measured at start, kept current from its live work) and its open streams.
    public var capacity: SpeechCapacity? {
        let capacity = engine.capacity
        return SpeechCapacity(streams: capacity.streams, active: capacity.active)
    }

    /// Looks the voice up in the table and cache (no I/O), makes the encoder, opens the stream.
    /// A directory voice not in memory is read on `voiceLoads` first (the turn's chunks wait);
    /// `at_capacity` is then decided before the read, from the engine's headroom.
    public func startTurn(_ start: TurnStart, key: TurnKey, events: any SpeechEngineEvents) throws(ProtocolError) {
        let config = start.config
        let lookup = try voiceLookup(named: config.voice)
        let encoder: any AudioEncoder
        do {
            encoder = config.ssml
                ? try SSMLAudioEncoder(makeAudioEncoder(format: config.format, sampleRate: config.sampleRate, opusBitrate: opusBitrate),
                                       speed: config.speed)
                : try makeAudioEncoder(format: config.format, sampleRate: config.sampleRate, opusBitrate: opusBitrate,
                                       speed: config.speed)
        } catch .timeStretch(let error) {
            throw .invalidConfig(key: "speed", reason: "\(error)")
        } catch {
            throw .invalidConfig(key: "format", reason: "\(error)")
        }
        let model = engine.model.config
        let options = GenerationOptions(
            sampling: FlowLMSampling(temperature: config.temperature ?? Float(model.defaultTemperature),
                                     lsdSteps: config.lsdDecodeSteps, noiseClamp: config.noiseClamp,
                                     eosThreshold: config.eosThreshold ?? Float(model.defaultEOSThreshold)),
            framesAfterEOS: model.recommendedFramesAfterEOS,
            maxTokens: config.maxTokens, tokenCap: max(config.maxTokens, Self.minimumStreamTokenCap), seed: config.seed ?? 0)
        let sink = TurnSink(key: key, encoder: encoder, events: events,
                            samplesPerSecond: Double(engine.model.sampleRate) * config.speed, adapter: self,
                            marksPieces: config.marksPieces)
        do { try options.validate() } catch { throw .invalidConfig(key: "options", reason: error.description) }
        switch lookup {
        case .ready(let voice):
            let id = try openStream(voice: voice, options: options, sink: sink)
            streams.withLock { $0[key] = OpenStream(id: id, sink: sink) }
        case .onDisk(let name):
            guard engine.capacity.headroom > 0 else { throw .atCapacity(retryAfterSeconds: ProtocolError.defaultRetryAfterSeconds) }
            streams.withLock { $0[key] = OpenStream(id: nil, sink: sink) }
            let queued = voiceLoads.submit { [weak self] in self?.loadVoiceAndOpen(name, key: key, options: options, sink: sink) }
            if !queued {
                streams.withLock { _ = $0.removeValue(forKey: key) }
                throw .atCapacity(retryAfterSeconds: ProtocolError.defaultRetryAfterSeconds)
            }
        }
    }

    private func openStream(voice: FlowLM.State, options: GenerationOptions, sink: TurnSink) throws(ProtocolError) -> StreamID {
        do {
            return try engine.openStream(voice: voice, options: options, sink: sink)
        } catch .atCapacity {
            throw .atCapacity(retryAfterSeconds: ProtocolError.defaultRetryAfterSeconds)
        } catch .invalidOptions(let why) {
            throw .invalidConfig(key: "options", reason: why)
        } catch {
            throw .internalError(detail: "\(error)")
        }
    }

    /// On `voiceLoads`: reads the voice, opens the stream, and hands the turn's waiting steps
    /// to `work` in order; a turn cancelled meanwhile is let go (its stream, if opened, cancelled).
    private func loadVoiceAndOpen(_ name: String, key: TurnKey, options: GenerationOptions, sink: TurnSink) {
        guard streams.withLock({ $0[key] != nil }) else { return }  // cancelled while queued
        let id: StreamID
        do {
            let voice = try voiceRegistry.state(named: name)
            id = try openStream(voice: voice, options: options, sink: sink)
        } catch {
            guard streams.withLock({ $0.removeValue(forKey: key) }) != nil else { return }
            if let refused = error as? ProtocolError, case .atCapacity = refused {
                sink.events.report(.overloaded("server at capacity"), for: key)
            } else {
                logger.warning("voice \(name): \(error)")
                sink.events.report(.failed("voice \(name) could not be loaded"), for: key)
            }
            return
        }
        let (opened, queued) = streams.withLock { (streams: inout [TurnKey: OpenStream]) -> (Bool, Bool) in
            guard var open = streams[key] else { return (false, true) }
            open.id = id
            var queued = true
            for step in open.waiting where queued { queued = submitLocked(key, step) }
            open.waiting = []
            streams[key] = open
            return (true, queued)
        }
        if !opened { engine.cancel(id) }
        if !queued {
            logger.warning("speech queue full (\(work.capacity) chunks): turn \(key) fails")
            cancelTurn(key)
            sink.events.report(.overloaded("speech queue full"), for: key)
        }
    }

    /// Queues the chunk for the worker, which tokenizes it and hands it to the engine.
    public func speak(_ text: String, key: TurnKey) {
        submit(key) { [self] open, id in
            do throws(EngineError) {
                let chunks = try enqueueText(text, id)
                open.sink.noteQueued(chunks: chunks)
            } catch .unknownStream, .streamFinished, .invalidText {
                // The stream ended (its sink reported why), or nothing speakable: nothing to do.
            } catch .chunkTooLong(let tokens, let cap) {
                // The segmenter caps chunks; the engine's own cap caught one it let through.
                logger.error("engine rejected a chunk of \(tokens) tokens (cap \(cap))")
                cancelTurn(key)
                open.sink.events.report(.failed("text chunk of \(tokens) tokens above the engine's cap of \(cap)"), for: key)
            } catch {
                cancelTurn(key)
                open.sink.events.report(.failed("\(error)"), for: key)
            }
        }
    }

    /// Queued behind the turn's chunks: the sink carries it out before the first frame of the
    /// next chunk queued, or at the end (EngineSpeechAdapter+Marks.swift).
    public func mark(_ mark: SpeechMark, key: TurnKey) {
        submit(key) { open, _ in open.sink.add(mark) }
    }

    /// Queued behind the turn's chunks.
    public func finishTurn(_ key: TurnKey) {
        submit(key) { [engine] _, id in engine.finish(id) }
    }

    public func cancelTurn(_ key: TurnKey) {
        guard let id = streams.withLock({ $0.removeValue(forKey: key) })?.id else { return }
        engine.cancel(id)
    }

    // MARK: Helpers

    /// Called by a sink once its stream has ended.
    fileprivate func forget(_ key: TurnKey) { streams.withLock { _ = $0.removeValue(forKey: key) } }

    /// Runs `step` on the worker with the turn's stream, unless the turn has ended or was
    /// cancelled by then; while the turn's voice loads, `step` waits for it (in order). A full
    /// queue fails the turn.
    private func submit(_ key: TurnKey, _ step: @escaping @Sendable (OpenStream, StreamID) -> Void) {
        let (open, queued) = streams.withLock { (streams: inout [TurnKey: OpenStream]) -> (OpenStream?, Bool) in
            guard var open = streams[key] else { return (nil, true) }
            guard open.id != nil else {
                guard open.waiting.count < work.capacity else { return (open, false) }
                open.waiting.append(step)
                streams[key] = open
                return (open, true)
            }
            return (open, submitLocked(key, step))
        }
        guard let open, !queued else { return }
        logger.warning("speech queue full (\(work.capacity) chunks): turn \(key) fails")
        cancelTurn(key)
        open.sink.events.report(.overloaded("speech queue full"), for: key)
    }

    /// Queues `step` on `work` (called under the `streams` lock, so steps keep their order).
    private func submitLocked(_ key: TurnKey, _ step: @escaping @Sendable (OpenStream, StreamID) -> Void) -> Bool {
        work.submit { [weak self] in
            guard let open = self?.streams.withLock({ $0[key] }), let id = open.id else { return }
            step(open, id)
        }
    }

    private enum Lookup {
        case ready(FlowLM.State)
        case onDisk(String)  // the name to read
    }

    /// A table and cache lookup: no I/O.
    private func voiceLookup(named name: String) throws(ProtocolError) -> Lookup {
        if let target = voiceAliases[name] {
            if usedAliases.withLock({ $0.insert(name).inserted }) {
                logger.notice("voice '\(name)' is an alias of the demo voice '\(target)' (demo mode: random weights)")
            }
            return try voiceLookup(named: target)
        }
        switch voiceRegistry.lookUp(name) {
        case .ready(let state): return .ready(state)
        case .onDisk: return .onDisk(name)
        case nil:
            guard let state = uploads.state(name) else { throw .unknownVoice(name) }
            return .ready(state)
        }
    }
}

private struct OpenStream: Sendable {
    /// nil while the turn's voice loads (`voiceLoads`).
    var id: StreamID?
    var sink: TurnSink
    /// The turn's steps submitted while its voice loads, in order.
    var waiting: [@Sendable (OpenStream, StreamID) -> Void] = []
}

/// One turn's sink: called on one engine consumer thread only (the stream is pinned to it), one
/// call at a time, so the encoder (not thread-safe) is used by that thread alone once the stream
/// is open.
final class TurnSink: StreamSink, @unchecked Sendable {
    let key: TurnKey
    let events: any SpeechEngineEvents
    let encoder: any AudioEncoder
    /// Engine samples per second of audio sent: the rate times the turn's speed.
    let baseSamplesPerSecond: Double
    private weak let adapter: EngineSpeechAdapter?
    private var failed = false  // the stream's consumer thread only
    /// `TurnConfig.marksPieces`: an empty payload before the first audio of each chunk after the first.
    private let marksPieces: Bool
    private var lastChunk: Int?  // the stream's consumer thread only
    /// SSML marks (EngineSpeechAdapter+Marks.swift).
    let marks = SinkMarks()

    init(key: TurnKey, encoder: any AudioEncoder, events: any SpeechEngineEvents, samplesPerSecond: Double,
         adapter: EngineSpeechAdapter, marksPieces: Bool = false) {
        self.marksPieces = marksPieces
        self.key = key
        self.encoder = encoder
        self.events = events
        self.baseSamplesPerSecond = samplesPerSecond
        self.adapter = adapter
    }

    func stream(_ id: StreamID, didProduce frame: GeneratedFrame) {
        guard !failed else { return }
        do {
            let (marked, silence) = try applyMarks(before: frame.chunk)
            var payloads = try encoder.encode(frame.audio)
            if marksPieces {
                if let last = lastChunk, last != frame.chunk { payloads.insert([], at: 0) }
                lastChunk = frame.chunk
            }
            events.reportAudio(marked + payloads, seconds: silence + Double(frame.audio.count) / samplesPerSecond(), for: key)
        } catch {
            fail("audio encoder: \(error)")
        }
    }

    func streamDidFinish(_ id: StreamID) {
        adapter?.forget(key)
        guard !failed else { return }
        do {
            let (marked, silence) = try applyMarks(before: nil)
            if !marked.isEmpty { events.reportAudio(marked, seconds: silence, for: key) }
            let tail = try encoder.finish()
            if !tail.isEmpty { events.reportAudio(tail, seconds: 0, for: key) }
            events.report(.turnDone, for: key)
        } catch {
            fail("audio encoder: \(error)")
        }
    }

    func stream(_ id: StreamID, didFail error: Error) {
        adapter?.forget(key)
        guard !failed else { return }
        fail("generation failed: \(error)")
    }

    private func fail(_ detail: String) {
        failed = true
        events.report(.failed(detail), for: key)
        adapter?.cancelTurn(key)
    }
}
