// WyomingInfo.swift: what a Wyoming client learns from `describe` (the `info` event, as
// `wyoming/info.py` reads it: one TTS program per served model, each voice with its languages)
// and how a `synthesize` event's `voice` picks one of the voices.
//
//   {"asr":[],"tts":[{"name":"pocket-tts-english","attribution":{"name":"Kyutai","url":"https://huggingface.co/kyutai/pocket-tts"},
//     "installed":true,"description":"…","version":"english","supports_synthesize_streaming":true,
//     "voices":[{"name":"alba","attribution":{…},"installed":true,"description":"…","version":"english",
//                "languages":["en"],"speakers":null}, …]}],"handle":[],"intent":[],"wake":[],"mic":[],"snd":[]}
import PocketTTS

/// A model the service serves, as protocols that list models describe it.
public struct ServedModel: Sendable, Equatable {
    /// The model's name (a built-in config's, e.g. `english_2026-10`, or a config file's stem).
    public var name: String
    /// ISO 639-1 codes of the languages it speaks.
    public var languages: [String]
    /// Its model card.
    public var url: String

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

    /// Its Wyoming program name.
    public var programName: String { "pocket-tts-" + name }
}

enum WyomingInfo {
    /// The `info` event's data: one TTS program per model, every voice under each.
    static func info(models: [ServedModel], voices: Set<String>) -> [String: JSONValue] {
        let programs = models.map { model -> JSONValue in
            let voiceList = voices.sorted().map { voice -> JSONValue in
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

    /// The voice a `synthesize` / `synthesize-start` event's `voice` object names:
    /// - `name`: a voice (its `speaker` is ignored), or a program's name with `speaker` naming a voice;
    /// - `language` alone ("en", "en_US", "en-GB"): the default voice, when a model speaks it;
    /// - neither (or no `voice`): the default voice.
    /// Unknown names and languages are `.unknownVoice`; a malformed object is `.invalidConfig`.
    static func voice(_ value: JSONValue?, voices: Set<String>, models: [ServedModel], defaultVoice: String)
        throws(ProtocolError) -> String {
        let fields: [String: JSONValue]
        switch value {
        case nil, .null?: return defaultVoice
        case .object(let object)?: fields = object
        case let other?: throw .invalidConfig(key: "voice", reason: "must be an object (got \(other.typeName))")
        }
        func string(_ key: String) throws(ProtocolError) -> String? {
            switch fields[key] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            case let other?: throw .invalidConfig(key: "voice.\(key)", reason: "must be a string (got \(other.typeName))")
            }
        }
        let name = try string("name")
        let speaker = try string("speaker")
        if let name {
            if voices.contains(name) { return name }
            if let speaker, models.contains(where: { $0.programName == name || $0.name == name }) {
                guard voices.contains(speaker) else { throw .unknownVoice(speaker) }
                return speaker
            }
            throw .unknownVoice(name)
        }
        if let language = try string("language") {
            let code = language.lowercased().split(whereSeparator: { $0 == "_" || $0 == "-" }).first.map(String.init) ?? ""
            guard models.contains(where: { $0.languages.contains(code) }) else {
                throw .unknownVoice("language \(language)")
            }
        }
        return defaultVoice
    }
}
