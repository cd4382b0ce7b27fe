// WyomingInfo.swift: what a Wyoming client learns from `describe` (the `info` event, as
// `wyoming/info.py` reads it: one TTS program per served model, each voice with its languages)
// and how a `synthesize` event's `voice` picks one of the voices.
//
//   {"asr":[],"tts":[{"name":"pocket-tts-english","attribution":{"name":"Kyutai","url":"https://huggingface.co/kyutai/pocket-tts"},
//     "installed":true,"description":"…","version":"english","supports_synthesize_streaming":true,
//     "voices":[{"name":"alba","attribution":{…},"installed":true,"description":"…","version":"english",
//                "languages":["en"],"speakers":null}, …]}],"handle":[],"intent":[],"wake":[],"mic":[],"snd":[]}
import Foundation
import PocketTTS

/// A model the service serves, as protocols that list models describe it.
public struct ServedModel: Sendable, Equatable {
    /// The model's name (a built-in config's, e.g. `english_2026-10`, or a config file's stem).
    public var name: String
    /// ISO 639-1 codes of the languages it speaks.
    public var languages: [String]
    /// Its model card.
    public var url: String
    /// Its voices, sorted (filled in when listed: `ModelRouter.models`; empty: the service's voices).
    public var voices: [String] = []
    /// The voice of a turn on this model that names none (empty: the service's default voice).
    public var defaultVoice = ""
    /// Demo weights (seeded random weights: the audio is noise); listed as `"demo":true`.
    public var demo = false

    public static let modelCardURL = "https://huggingface.co/kyutai/pocket-tts"

    public init(name: String, languages: [String], url: String = ServedModel.modelCardURL) {
        self.name = name
        self.languages = languages
        self.url = url
    }

    /// A model by its name, speaking the language its name says (`ModelCatalog.language(of:)`:
    /// `french_24l` speaks French; a name that says none, English).
    public init(modelName: String) {
        self.init(name: modelName, languages: [Self.isoCodes[ModelCatalog.language(of: modelName)] ?? "en"])
    }

    /// What the service describes before it is told the model.
    public static let unnamed = ServedModel(name: "english", languages: ["en"])

    /// The ISO 639-1 codes of pocket-tts' seven languages.
    public static let isoCodes = [
        "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt", "dutch": "nl",
    ]

    /// The ISO 639-1 code of a language as clients name it: a code ("fr"), a locale ("fr-FR",
    /// "fr_FR") or pocket-tts' language name ("french"), in any case; nil for a language none
    /// of the seven models speaks.
    public static func languageCode(_ language: String) -> String? {
        let lowered = language.lowercased().trimmingCharacters(in: .whitespaces)
        if let code = isoCodes[lowered] { return code }
        let prefix = lowered.split(whereSeparator: { $0 == "_" || $0 == "-" }).first.map(String.init) ?? ""
        return isoCodes.values.contains(prefix) ? prefix : nil
    }

    /// The English names of the ISO codes (ElevenLabs' model list).
    public static let languageNames = [
        "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "nl": "Dutch",
    ]

    /// Its Wyoming program name.
    public var programName: String { "pocket-tts-" + name }
}

/// What a `synthesize` event's `voice` object asks for.
struct WyomingVoiceChoice: Equatable {
    var voice: String
    /// Whether the client named the voice (`TurnConfig.voiceGiven`).
    var voiceGiven = false
    var model: String?
    var language: String?
}

enum WyomingInfo {
    /// The `info` event's data: one TTS program per model, each with its voices (all the
    /// service's voices for a model whose list is not known) and its languages.
    static func info(models: [ServedModel], voices: Set<String>) -> [String: JSONValue] {
        let programs = models.map { model -> JSONValue in
            let voiceList = (model.voices.isEmpty ? voices.sorted() : model.voices).map { voice -> JSONValue in
                .object(artifact(name: voice, description: "\(voice) (Pocket TTS \(model.name))", model: model).merging([
                    "languages": .array(model.languages.map(JSONValue.string)), "speakers": .null,
                ]) { $1 })
            }
            return .object(artifact(name: model.programName, description: "Kyutai's Pocket TTS (\(model.name)), streamed", model: model)
                .merging(["voices": .array(voiceList), "supports_synthesize_streaming": .bool(true)]) { $1 })
        }
        var data: [String: JSONValue] = ["tts": .array(programs)]
        for empty in ["asr", "handle", "intent", "wake", "mic", "snd"] { data[empty] = .array([]) }
        return data
    }

    private static func artifact(name: String, description: String, model: ServedModel) -> [String: JSONValue] {
        ["name": .string(name), "attribution": .object(["name": .string("Kyutai"), "url": .string(model.url)]),
         "installed": .bool(true), "description": .string(description), "version": .string(model.name)]
    }

    /// What a `synthesize` / `synthesize-start` event's `voice` object asks for:
    /// - `name`: a voice (its `speaker` is ignored), or a program's or model's name (that model)
    ///   with `speaker` naming one of its voices (none: the model's default voice);
    /// - `language` ("de", "de_DE", "de-DE"): the first served model of that language and, without
    ///   a voice, its default voice; a language no served model speaks is `.invalidConfig` naming
    ///   those served;
    /// - neither (or no `voice`): the default model and voice.
    /// Unknown names are `.unknownVoice`; a malformed object is `.invalidConfig`.
    static func voice(_ value: JSONValue?, voices: Set<String>, models: [ServedModel], defaultVoice: String)
        throws(ProtocolError) -> WyomingVoiceChoice {
        var choice = WyomingVoiceChoice(voice: defaultVoice)
        let fields: [String: JSONValue]
        switch value {
        case nil, .null?: return choice
        case .object(let object)?: fields = object
        case let other?: throw .invalidConfig(key: "voice", reason: "must be an object (got \(other.typeName))")
        }
        func string(_ key: String) throws(ProtocolError) -> String? {
            switch fields[key] {
            case nil, .null?: return nil
            case .string(let text)?: return text.isEmpty ? nil : text
            case let other?: throw .invalidConfig(key: "voice.\(key)", reason: "must be a string (got \(other.typeName))")
            }
        }
        let name = try string("name")
        let speaker = try string("speaker")
        if let language = try string("language") {
            let code = ServedModel.languageCode(language)
            guard let code, models.isEmpty || models.contains(where: { $0.languages.contains(code) }) else {
                let served = models.map { "\($0.name) (\($0.languages.joined(separator: ", ")))" }.joined(separator: ", ")
                throw .invalidConfig(key: "voice.language", reason: "\"\(language.excerpt)\" is not served: the models served are \(served)")
            }
            choice.language = language
        }
        if let name {
            if voices.contains(name) {
                choice.voice = name
                choice.voiceGiven = true
            } else if let model = models.first(where: { $0.programName == name || $0.name == name }) {
                choice.model = model.name
                if let speaker {
                    guard voices.contains(speaker) else { throw .unknownVoice(speaker) }
                    choice.voice = speaker
                    choice.voiceGiven = true
                }
            } else {
                throw .unknownVoice(name)
            }
        }
        return choice
    }
}
