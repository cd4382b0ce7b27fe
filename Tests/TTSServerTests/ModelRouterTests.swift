import Foundation
import PocketTTS
import Synchronization
import Testing
@testable import TTSServer

/// Records the voice of every turn it starts, then forwards to a fake engine.
final class StartRecorder: SpeechEngine {
    let base: FakeSpeechEngine
    let starts = Mutex<[String]>([])
    /// Every text counts this many tokens (tells the models' counters apart).
    let tokens: Int

    init(voices: Set<String>, maxTurns: Int = 8, capacityStreams: Int? = nil, tokens: Int = 1) {
        base = FakeSpeechEngine(voices: voices, maxTurns: maxTurns, capacityStreams: capacityStreams)
        self.tokens = tokens
    }

    var voices: Set<String> { base.voices }
    var tokenCounter: any TokenCounting { ConstantTokens(count: tokens) }
    var capacity: SpeechCapacity? { base.capacity }
    func startTurn(_ start: TurnStart, key: TurnKey, events: any SpeechEngineEvents) throws(ProtocolError) {
        try base.startTurn(start, key: key, events: events)
        starts.withLock { $0.append(start.config.voice) }
    }
    func speak(_ text: String, key: TurnKey) { base.speak(text, key: key) }
    func finishTurn(_ key: TurnKey) { base.finishTurn(key) }
    func cancelTurn(_ key: TurnKey) { base.cancelTurn(key) }
}

struct ConstantTokens: TokenCounting {
    let count: Int
    func tokenCount(_ text: String) -> Int { count }
}

/// Drops every event (the router's own bookkeeping is under test).
private struct NoEvents: SpeechEngineEvents {
    func report(_ event: SessionMachine.EngineEvent, for key: TurnKey) {}
}

/// ModelRouter: which served model a turn's `model` / `language` picks, the voice rule, errors
/// that list what is served, and turns routed to the engine that holds them.
@Suite struct ModelRouterTests {
    let english = StartRecorder(voices: ["alba", "marius"], capacityStreams: 4, tokens: 10)
    let french = StartRecorder(voices: ["estelle", "alba"], capacityStreams: 3, tokens: 30)
    let tiny = StartRecorder(voices: ["alba", "cosette"], tokens: 20)

    var router: ModelRouter {
        ModelRouter(entries: [
            .init(model: ServedModel(modelName: "english"), engine: english, defaultVoice: "alba"),
            .init(model: ServedModel(modelName: "french_24l"), engine: french, defaultVoice: "estelle"),
            .init(model: ServedModel(modelName: "english_2026-01"), engine: tiny, defaultVoice: "cosette"),
        ])
    }

    func start(_ router: ModelRouter, turn: Int = 1, _ configure: (inout TurnConfig) -> Void) throws(ProtocolError) {
        var config = TurnConfig(voice: "alba")
        config.seed = 1
        configure(&config)
        try router.startTurn(TurnStart(turn: turn, requestID: "r", config: config), key: TurnKey(session: 1, turn: turn),
                             events: NoEvents())
    }

    @Test func namesAliasesAndLanguagesPickTheirModel() throws {
        let router = router
        #expect(try router.entry(model: nil, language: nil).model.name == "english")
        #expect(try router.entry(model: "french_24l", language: nil).model.name == "french_24l")
        #expect(try router.entry(model: "b6369a24", language: nil).model.name == "english_2026-01")  // an alias
        for language in ["fr", "FR", "fr-FR", "fr_CA", "french", "French"] {
            #expect(try router.entry(model: nil, language: language).model.name == "french_24l")
        }
        // A language alone: the first served model of it.
        #expect(try router.entry(model: nil, language: "en-GB").model.name == "english")
        #expect(try router.entry(model: "english_2026-01", language: "en").model.name == "english_2026-01")
    }

    @Test func languageCodes() {
        #expect(ServedModel.languageCode("de_DE") == "de" && ServedModel.languageCode("Dutch") == "nl")
        #expect(ServedModel.languageCode("pt-BR") == "pt" && ServedModel.languageCode("es") == "es")
        #expect(ServedModel.languageCode("ja") == nil && ServedModel.languageCode("") == nil)
    }

    @Test func whatIsNotServedIsAnErrorListingWhatIs() {
        let router = router
        let served = "english (en), french_24l (fr), english_2026-01 (en)"
        for (model, language, key, says) in [("german", nil, "model", served), (nil, "de", "language", served),
                                             (nil, "klingon", "language", served),
                                             ("french_24l", "en", "language", "model french_24l speaks fr, not en")]
            as [(String?, String?, String, String)] {
            #expect {
                _ = try router.entry(model: model, language: language)
            } throws: { error in
                guard case .invalidConfig(let errorKey, let reason)? = error as? ProtocolError else { return false }
                return errorKey == key && reason.contains(says)
                    && (key != "language" || model != nil || reason.contains("the languages served are en, fr ("))
            }
        }
    }

    @Test func aVoiceNamedMustBeTheModelsAndNoneIsItsDefault() throws {
        let router = router
        // Not named: the chosen model's default voice; the default model keeps the protocol's mapped voice.
        try start(router, turn: 1) { $0.language = "fr"; $0.voice = "marius" }
        try start(router, turn: 2) { $0.model = "english_2026-01" }
        try start(router, turn: 3) { $0.voice = "marius" }
        #expect(french.starts.withLock { $0 } == ["estelle"])
        #expect(tiny.starts.withLock { $0 } == ["cosette"])
        #expect(english.starts.withLock { $0 } == ["marius"])
        // Named: it must be one of the model's voices.
        try start(router, turn: 4) { $0.language = "fr"; $0.voice = "alba"; $0.voiceGiven = true }
        #expect(french.starts.withLock { $0 } == ["estelle", "alba"])
        #expect {
            try start(router, turn: 5) { $0.model = "french_24l"; $0.voice = "marius"; $0.voiceGiven = true }
        } throws: { error in
            guard case .invalidConfig("voice", let reason)? = error as? ProtocolError else { return false }
            return reason.contains("french_24l") && reason.contains("alba, estelle")
        }
        #expect(router.openTurnCount == 4)
    }

    @Test func turnsGoToTheEngineThatHoldsThem() throws {
        let router = router
        try start(router, turn: 1) { $0.language = "fr" }
        try start(router, turn: 2) { _ in }
        router.speak("Bonjour.", key: TurnKey(session: 1, turn: 1))
        router.speak("Hello.", key: TurnKey(session: 1, turn: 2))
        router.cancelTurn(TurnKey(session: 1, turn: 1))
        router.finishTurn(TurnKey(session: 1, turn: 2))
        #expect(french.base.calls.withLock { $0 } == ["start 1.1", "speak 1.1 Bonjour.", "cancel 1.1"])
        #expect(english.base.calls.withLock { $0 } == ["start 1.2", "speak 1.2 Hello.", "finish 1.2"])
        #expect(tiny.base.calls.withLock { $0 }.isEmpty)
        #expect(eventually { router.openTurnCount == 0 })  // the finished turn reported its end
    }

    @Test func eachTurnCountsTokensWithItsModelsTokenizer() {
        let router = router
        var config = TurnConfig(voice: "alba")
        #expect(router.tokenCounter(for: config).tokenCount("x") == 10)
        config.language = "fr"
        #expect(router.tokenCounter(for: config).tokenCount("x") == 30)
        config.language = nil
        config.model = "english_2026-01"
        #expect(router.tokenCounter(for: config).tokenCount("x") == 20)
        #expect(router.tokenCounter.tokenCount("x") == 30)  // without a turn: the most any model counts
    }

    @Test func capacityAndVoicesAreSummedOverTheModels() throws {
        let router = router
        try start(router, turn: 1) { $0.language = "fr" }
        #expect(router.capacity == SpeechCapacity(streams: 7, active: 1, retryAfterSeconds: FakeSpeechEngine.retryAfterSeconds))
        #expect(router.voices == ["alba", "marius", "estelle", "cosette"])
        #expect(router.models.map(\.name) == ["english", "french_24l", "english_2026-01"])
        #expect(router.models[1].voices == ["alba", "estelle"] && router.models[1].defaultVoice == "estelle")
        #expect(router.models[1].languages == ["fr"])
    }

    @Test func configKeysModelAndLanguage() throws {
        let config = try TurnConfig.parse(["model": .string("french"), "language": .string("fr-FR")], settings: ProtocolSettings())
        #expect(config.model == "french" && config.language == "fr-FR" && !config.voiceGiven)
        #expect(try TurnConfig.parse(["voice": .string("alba")], settings: ProtocolSettings()).voiceGiven)
        for (key, value) in [("model", JSONValue.integer(3)), ("language", .string("")), ("model", .string(String(repeating: "x", count: 129)))] {
            #expect(throws: ProtocolError.self) { try TurnConfig.parse([key: value], settings: ProtocolSettings()) }
        }
    }
}

/// Each protocol maps its own model and language fields onto the turn's config (the router
/// then resolves them: ModelRouterTests, MultiModelEndToEndTests).
@Suite struct ProtocolModelFieldTests {
    let context = WireContext(settings: ProtocolSettings(), voices: ["alba", "marius", "estelle"],
                              models: [ServedModel(modelName: "english"), ServedModel(modelName: "french")])

    func request(_ path: String, _ query: [String: String]) -> HTTPRequest {
        HTTPRequest(method: "GET", path: path, query: query, isWebSocketUpgrade: true)
    }

    @Test func deepgramModelQuery() {
        let served = DeepgramAdapter(request: request("/v1/speak", ["model": "french"]), context: context)
        #expect(served.config.model == "french" && !served.config.voiceGiven && !served.unknownModel)
        let aura = DeepgramAdapter(request: request("/v1/speak", ["model": "aura-2-marius-en"]), context: context)
        #expect(aura.config.model == nil && aura.config.voice == "marius" && aura.config.voiceGiven)
        let other = DeepgramAdapter(request: request("/v1/speak", ["model": "aura-2-thalia-en"]), context: context)
        #expect(other.config.model == nil && !other.config.voiceGiven && other.unknownModel)
    }

    @Test func kyutaiModelAndLanguageQuery() throws {
        let adapter = KyutaiAdapter(request: request("/api/tts_streaming", ["language": "fr", "model": "french"]), context: context)
        let config = try adapter.turn.get()
        #expect(config.language == "fr" && config.model == "french" && !config.voiceGiven)
        let named = try KyutaiAdapter(request: request("/api/tts_streaming", ["voice": "estelle"]), context: context).turn.get()
        #expect(named.voiceGiven && named.voice == "estelle" && named.model == nil)
    }

    @Test func elevenLabsModelIDAndLanguageCode() throws {
        func config(_ voiceID: String, _ query: [String: String]) throws -> TurnConfig {
            try ElevenLabs.turnConfig(voiceID: voiceID, query: query, defaultFormat: "pcm_24000", context: context).get()
        }
        let own = try config("21m00Tcm4TlvDq8ikWAM", ["model_id": "eleven_multilingual_v2"])
        #expect(own.model == nil && own.language == nil && !own.voiceGiven)
        let french = try config("estelle", ["model_id": "french", "language_code": "fr"])
        #expect(french.model == "french" && french.language == "fr" && french.voiceGiven)
    }

    @Test func httpPlansCarryTheModelAndLeaveAnUnnamedVoiceOut() throws {
        var plan = HTTPSpeechPlan(text: "Hi.", voice: "alba", format: .wav)
        plan.model = "french"
        plan.language = "fr"
        #expect(plan.configData["voice"] == nil && plan.configData["model"] == .string("french") && plan.configData["language"] == .string("fr"))
        let unnamed = try plan.turnConfig(settings: ProtocolSettings(defaultVoice: "estelle"))
        #expect(unnamed.voice == "estelle" && !unnamed.voiceGiven && unnamed.model == "french" && unnamed.language == "fr")
        plan.voiceGiven = true
        #expect(plan.configData["voice"] == .string("alba"))
        #expect(try plan.turnConfig(settings: ProtocolSettings(defaultVoice: "estelle")).voice == "alba")
    }
}
