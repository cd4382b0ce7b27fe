// EngineSpeechAdapter.swift: `SpeechEngine` over TTSEngine's `Engine` and `VoiceLibrary`.
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
    /// Named voices from a directory and the predefined fallback; nil for none.
    public let library: VoiceLibrary?
    /// Voices given by state (e.g. `serve --voice FILE`), by name; they win over the library.
    public let fixedVoices: [String: FlowLM.State]
    /// The library's voices that loaded: the only library names offered to clients.
    public let libraryVoices: Set<String>
    /// Bits per second of `opus` and `ogg` audio.
    public let opusBitrate: Int
    /// Names that stand for another voice (demo mode: the predefined names for the demo voice;
    /// see `DemoVoiceAliases`). Each alias's first use is logged.
    public let voiceAliases: [String: String]
    private let usedAliases = Mutex<Set<String>>([])
    private let logger = Logger(label: "pocket-tts.engine")
    /// Open turns' streams and sinks.
    private let streams = Mutex<[TurnKey: OpenStream]>([:])

    /// `libraryVoices`: the library's names known to load (e.g. loaded at start by the
    /// caller); nil loads every library voice now, on this thread, and keeps those that load.
    public init(engine: Engine, library: VoiceLibrary? = nil, fixedVoices: [String: FlowLM.State] = [:],
                libraryVoices: Set<String>? = nil, opusBitrate: Int = defaultOpusBitrate,
                voiceAliases: [String: String] = [:]) {
        self.engine = engine
        self.library = library
        self.fixedVoices = fixedVoices
        self.libraryVoices = libraryVoices ?? library.map { Self.loadableVoices(in: $0, logger: Logger(label: "pocket-tts.engine")) } ?? []
        self.opusBitrate = opusBitrate
        let offered = Set(fixedVoices.keys).union(self.libraryVoices)
        self.voiceAliases = voiceAliases.filter { offered.contains($0.value) && !offered.contains($0.key) }
    }

    /// The voices a config may name: the fixed ones and the library's that loaded. A voice that
    /// failed to load is not offered (a config naming it gets `unknown_voice`).
    public var voices: Set<String> { Set(fixedVoices.keys).union(libraryVoices).union(voiceAliases.keys) }

    /// Loads each of the library's voices; returns the names that loaded, logging the others.
    public static func loadableVoices(in library: VoiceLibrary, logger: Logger) -> Set<String> {
        var usable: Set<String> = []
        for name in library.names {
            do {
                _ = try library.voice(named: name)
                usable.insert(name)
            } catch {
                logger.warning("voice \(name) not usable: \(error)")
            }
        }
        return usable
    }

    public var tokenCounter: any TokenCounting { PromptTokenCounter(tokenizer: engine.model.tokenizer) }

    /// Turns with an open stream.
    public var openTurnCount: Int { streams.withLock { $0.count } }

    /// Resolves the voice (a cached state, or a file read on this thread on a cache miss), makes
    /// the encoder, opens the stream.
    public func startTurn(_ start: TurnStart, key: TurnKey, events: any SpeechEngineEvents) throws(ProtocolError) {
        let config = start.config
        let voice = try voiceState(named: config.voice)
        let encoder: any AudioEncoder
        do {
            encoder = try makeAudioEncoder(format: config.format, sampleRate: config.sampleRate, opusBitrate: opusBitrate)
        } catch {
            throw .invalidConfig(key: "format", reason: "\(error)")
        }
        let options = GenerationOptions(
            sampling: FlowLMSampling(temperature: config.temperature, lsdSteps: config.lsdDecodeSteps,
                                     noiseClamp: config.noiseClamp, eosThreshold: config.eosThreshold),
            maxTokens: config.maxTokens, tokenCap: config.maxTokens, seed: config.seed ?? 0)
        let sink = TurnSink(key: key, encoder: encoder, events: events, sampleRate: Double(engine.model.sampleRate),
                            adapter: self)
        let id: StreamID
        do {
            id = try engine.openStream(voice: voice, options: options, sink: sink)
        } catch .atCapacity {
            throw .atCapacity
        } catch .invalidOptions(let why) {
            throw .invalidConfig(key: "options", reason: why)
        } catch {
            throw .internalError(detail: "\(error)")
        }
        streams.withLock { $0[key] = OpenStream(id: id, sink: sink) }
    }

    public func speak(_ text: String, key: TurnKey) {
        guard let open = streams.withLock({ $0[key] }) else { return }
        do {
            try engine.enqueue(text: text, to: open.id)
        } catch .unknownStream, .streamFinished, .invalidText {
            // The stream ended (its sink reported why), or nothing speakable: nothing to do.
        } catch {
            cancelTurn(key)
            open.sink.events.report(.failed("\(error)"), for: key)
        }
    }

    public func finishTurn(_ key: TurnKey) {
        guard let open = streams.withLock({ $0[key] }) else { return }
        engine.finish(open.id)
    }

    public func cancelTurn(_ key: TurnKey) {
        guard let open = streams.withLock({ $0.removeValue(forKey: key) }) else { return }
        engine.cancel(open.id)
    }

    // MARK: Helpers

    /// Called by a sink once its stream has ended.
    fileprivate func forget(_ key: TurnKey) { streams.withLock { _ = $0.removeValue(forKey: key) } }

    private func voiceState(named name: String) throws(ProtocolError) -> FlowLM.State {
        if let target = voiceAliases[name] {
            if usedAliases.withLock({ $0.insert(name).inserted }) {
                logger.notice("voice '\(name)' is an alias of the demo voice '\(target)' (demo mode: random weights)")
            }
            return try voiceState(named: target)
        }
        if let state = fixedVoices[name] { return state }
        guard let library, libraryVoices.contains(name) else { throw .unknownVoice(name) }
        do {
            return try library.voice(named: name)
        } catch .unknownVoice {
            throw .unknownVoice(name)
        } catch {
            logger.error("voice \(name) could not be loaded: \(error)")
            throw .internalError(detail: "voice \(name) could not be loaded")  // no server paths to clients
        }
    }
}

private struct OpenStream {
    var id: StreamID
    var sink: TurnSink
}

/// One turn's sink: called on one engine consumer thread only (the stream is pinned to it), one
/// call at a time, so the encoder (not thread-safe) is used by that thread alone once the stream
/// is open.
private final class TurnSink: StreamSink, @unchecked Sendable {
    let key: TurnKey
    let events: any SpeechEngineEvents
    private let encoder: any AudioEncoder
    private let sampleRate: Double
    private weak let adapter: EngineSpeechAdapter?
    private var failed = false  // the stream's consumer thread only

    init(key: TurnKey, encoder: any AudioEncoder, events: any SpeechEngineEvents, sampleRate: Double,
         adapter: EngineSpeechAdapter) {
        self.key = key
        self.encoder = encoder
        self.events = events
        self.sampleRate = sampleRate
        self.adapter = adapter
    }

    func stream(_ id: StreamID, didProduce frame: GeneratedFrame) {
        guard !failed else { return }
        do {
            let payloads = try encoder.encode(frame.audio)
            events.reportAudio(payloads, seconds: Double(frame.audio.count) / sampleRate, for: key)
        } catch {
            fail("audio encoder: \(error)")
        }
    }

    func streamDidFinish(_ id: StreamID) {
        adapter?.forget(key)
        guard !failed else { return }
        do {
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
