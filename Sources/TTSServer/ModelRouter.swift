// ModelRouter.swift: several models in one service (issue 23). One `SpeechEngine` per served
// model (each over its own `Engine`, which batches its own streams), behind one `SpeechEngine`
// that picks a turn's model from its config (`TurnConfig.model` / `.language`) and sends the
// turn's text, finish and cancel to the engine that holds its stream.
//
//   model      a served model's name or alias (`english_7m_2026-10`, `b6369a24`)
//   language   "fr", "fr-FR", "fr_FR", "french" (any case): the first served model of that language
//   neither    the default model (the first entry)
//
// Voice rule: a voice the client named (`TurnConfig.voiceGiven`) must be one of the chosen
// model's; a turn that named none speaks the chosen model's default voice (the default model
// keeps the voice the protocol mapped for it, e.g. OpenAI's `alloy`).
import Logging
import PocketTTS
import Synchronization

public final class ModelRouter: SpeechEngine {
    /// One served model.
    public struct Entry: Sendable {
        public var model: ServedModel
        public var engine: any SpeechEngine
        /// Where its voices and uploads live (nil for an engine without a registry: tests).
        public var voiceStore: EngineSpeechAdapter?
        /// The voice of a turn on this model that names none.
        public var defaultVoice: String

        public init(model: ServedModel, engine: any SpeechEngine, voiceStore: EngineSpeechAdapter? = nil, defaultVoice: String) {
            self.model = model
            self.engine = engine
            self.voiceStore = voiceStore ?? engine.voiceStore(model: nil)
            self.defaultVoice = defaultVoice
        }

        /// The voices a turn on this model may name.
        public var voices: Set<String> { engine.voices }
    }

    /// The served models; the first is the default.
    public let entries: [Entry]
    /// Which entry holds each open turn's stream.
    private let owners = Mutex<[TurnKey: Int]>([:])
    private let logger = Logger(label: "pocket-tts.models")

    public init(entries: [Entry]) {
        precondition(!entries.isEmpty, "ModelRouter: no model")
        self.entries = entries
    }

    /// The default model's entry.
    public var defaultEntry: Entry { entries[0] }

    /// The voice store of the model named (nil: the default model's).
    public func voiceStore(model: String?) -> EngineSpeechAdapter? {
        guard let model else { return defaultEntry.voiceStore }
        return try? entry(model: model, language: nil).voiceStore
    }

    /// Every model's voices.
    public var voices: Set<String> { entries.reduce(into: Set<String>()) { $0.formUnion($1.voices) } }

    /// The most tokens any served model's tokenizer counts (the segmenter's cap then holds for
    /// each); sessions count a turn's chunks with its own model's (`tokenCounter(for:)`).
    public var tokenCounter: any TokenCounting {
        entries.count == 1 ? defaultEntry.engine.tokenCounter : MostTokensCounter(counters: entries.map(\.engine.tokenCounter))
    }

    /// The turn's model's counter (the default model's for a config naming none it serves: that
    /// turn is refused when it starts).
    public func tokenCounter(for config: TurnConfig) -> any TokenCounting {
        let index = (try? index(model: config.model, language: config.language)) ?? 0
        return entries[index].engine.tokenCounter
    }

    /// The language a turn speaks: its `language` as an ISO code, else its model's first
    /// language; nil when the config names a model or language not served (the turn is refused
    /// when it starts).
    public func languageCode(for config: TurnConfig) -> String? {
        guard let index = try? index(model: config.model, language: config.language) else { return nil }
        if let language = config.language { return ServedModel.languageCode(language) ?? language }
        return entries[index].model.languages.first
    }

    /// Summed over the models (nil when no model has an estimate).
    public var capacity: SpeechCapacity? {
        let each = entries.compactMap(\.engine.capacity)
        guard !each.isEmpty else { return nil }
        return SpeechCapacity(streams: each.reduce(0) { $0 + $1.streams }, active: each.reduce(0) { $0 + $1.active },
                              retryAfterSeconds: each.map(\.retryAfterSeconds).min() ?? ProtocolError.defaultRetryAfterSeconds)
    }

    /// The served models, each with its current voices and default voice.
    public var models: [ServedModel] {
        entries.map { entry in
            var model = entry.model
            model.voices = entry.voices.sorted()
            model.defaultVoice = entry.defaultVoice
            return model
        }
    }

    /// The entry a config's `model` and `language` name: `.invalidConfig` naming what is served
    /// when none does (or when the two disagree).
    public func entry(model: String?, language: String?) throws(ProtocolError) -> Entry {
        try entries[index(model: model, language: language)]
    }

    func index(model: String?, language: String?) throws(ProtocolError) -> Int {
        var code: String?
        if let language {
            guard let known = ServedModel.languageCode(language), entries.contains(where: { $0.model.languages.contains(known) }) else {
                throw .invalidConfig(key: "language", reason: "\"\(language.excerpt)\" is not served: \(servedLanguages)")
            }
            code = known
        }
        if let model {
            let canonical = ModelCatalog.canonicalName(model) ?? model
            guard let index = entries.firstIndex(where: { $0.model.name == canonical || $0.model.name == model }) else {
                throw .invalidConfig(key: "model", reason: "\"\(model.excerpt)\" is not served: \(servedModels)")
            }
            if let code, !entries[index].model.languages.contains(code) {
                throw .invalidConfig(key: "language", reason: "model \(entries[index].model.name) speaks "
                    + "\(entries[index].model.languages.joined(separator: ", ")), not \(language?.excerpt ?? code)")
            }
            return index
        }
        if let code { return entries.firstIndex { $0.model.languages.contains(code) } ?? 0 }
        return 0
    }

    /// "english (en), french (fr)".
    var modelList: String {
        entries.map { "\($0.model.name) (\($0.model.languages.joined(separator: ", ")))" }.joined(separator: ", ")
    }

    /// "the models served are english (en), french (fr)".
    var servedModels: String { "the models served are " + modelList }

    /// "the languages served are en, fr (english (en), french (fr))".
    var servedLanguages: String {
        var seen: [String] = []
        for entry in entries { for code in entry.model.languages where !seen.contains(code) { seen.append(code) } }
        return "the languages served are " + seen.joined(separator: ", ") + " (" + modelList + ")"
    }

    /// The voice a turn speaks on `entry` (see the voice rule above).
    func voice(for config: TurnConfig, on index: Int) throws(ProtocolError) -> String {
        let entry = entries[index]
        guard config.voiceGiven else { return index == 0 ? config.voice : entry.defaultVoice }
        let voices = entry.voices
        guard voices.contains(config.voice) else {
            throw .invalidConfig(key: "voice", reason: "\"\(config.voice.excerpt)\" is not a voice of model \(entry.model.name): "
                + "its voices are \(voices.sorted().joined(separator: ", "))")
        }
        return config.voice
    }

    public func startTurn(_ start: TurnStart, key: TurnKey, events: any SpeechEngineEvents) throws(ProtocolError) {
        let index = try index(model: start.config.model, language: start.config.language)
        var routed = start
        routed.config.voice = try voice(for: start.config, on: index)
        owners.withLock { $0[key] = index }
        // With several models, which one speaks (and its voice, which the session's own "turn
        // started" line gives as asked) is worth a line of its own.
        logger.log(level: entries.count > 1 ? .info : .debug, "turn \(key) on model \(entries[index].model.name)",
                   metadata: ["voice": "\(routed.config.voice)"])
        do {
            try entries[index].engine.startTurn(routed, key: key, events: RoutedEvents(base: events, router: self))
        } catch {
            _ = owners.withLock { $0.removeValue(forKey: key) }
            throw error
        }
    }

    public func speak(_ text: String, key: TurnKey) { owner(of: key)?.speak(text, key: key) }
    public func mark(_ mark: SpeechMark, key: TurnKey) { owner(of: key)?.mark(mark, key: key) }

    public func finishTurn(_ key: TurnKey) { owner(of: key)?.finishTurn(key) }

    public func cancelTurn(_ key: TurnKey) {
        guard let index = owners.withLock({ $0.removeValue(forKey: key) }) else { return }
        entries[index].engine.cancelTurn(key)
    }

    /// Turns open on any model.
    public var openTurnCount: Int { owners.withLock { $0.count } }

    private func owner(of key: TurnKey) -> (any SpeechEngine)? {
        owners.withLock { $0[key] }.map { entries[$0].engine }
    }

    /// A turn ended (its last event): forget which model held it.
    fileprivate func forget(_ key: TurnKey) { _ = owners.withLock { $0.removeValue(forKey: key) } }
}

/// Passes a turn's events on, and tells the router when the turn has ended.
private struct RoutedEvents: SpeechEngineEvents {
    let base: any SpeechEngineEvents
    weak var router: ModelRouter?

    init(base: any SpeechEngineEvents, router: ModelRouter) {
        self.base = base
        self.router = router
    }

    func report(_ event: SessionMachine.EngineEvent, for key: TurnKey) {
        switch event {
        case .turnDone, .failed, .overloaded: router?.forget(key)
        case .audio: break
        }
        base.report(event, for: key)
    }

    func reportAudio(_ payloads: [[UInt8]], seconds: Double, for key: TurnKey) {
        base.reportAudio(payloads, seconds: seconds, for: key)
    }
}

/// The largest count of several tokenizers.
struct MostTokensCounter: TokenCounting {
    let counters: [any TokenCounting]

    func tokenCount(_ text: String) -> Int { counters.reduce(0) { max($0, $1.tokenCount(text)) } }
}
