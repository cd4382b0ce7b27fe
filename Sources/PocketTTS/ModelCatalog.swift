/// The models pocket-tts 4.0.1 ships (`pocket_tts/config/*.yaml`, built into the binary),
/// chosen by name as the reference's `--language NAME` does, with their language and default
/// voice (`default_parameters.py`).
public enum ModelCatalog {
    /// The model used when none is named (4.0.1's `DEFAULT_LANGUAGE`).
    public static let defaultModel = "english"

    /// Other names accepted for a config: `b6369a24`, the model of pocket-tts 1.1.1 that this
    /// project served first, is 4.0.1's `english_2026-01`.
    public static let aliases: [String: String] = ["b6369a24": "english_2026-01"]

    /// The seven languages, in the order `pocket-tts models` lists them.
    public static let languages = ["english", "french", "german", "spanish", "italian", "portuguese", "dutch"]

    /// `DEFAULT_VOICE_FOR_LANGUAGE` (4.0.1), `alba` for English.
    public static let defaultVoiceForLanguage: [String: String] = [
        "english": "alba", "italian": "giovanni", "spanish": "lola", "german": "juergen",
        "portuguese": "rafael", "french": "estelle", "dutch": "daan",
    ]

    /// Every config name, sorted.
    public static var names: [String] { builtinYAML.keys.sorted() }

    /// The canonical config name for a name or alias, or nil when unknown.
    public static func canonicalName(_ name: String) -> String? {
        if builtinYAML[name] != nil { return name }
        return aliases[name]
    }

    /// The YAML text of a built-in config.
    public static func yaml(named name: String) throws(ModelCatalogError) -> String {
        guard let canonical = canonicalName(name), let text = builtinYAML[canonical] else {
            throw .unknownModel(name, known: names)
        }
        return text
    }

    /// The parsed config of a built-in model.
    public static func config(named name: String) throws -> PocketTTSConfig {
        try PocketTTSConfig(yaml: yaml(named: name))
    }

    /// The language a config name belongs to (`english_7m_2026-10` → english); 4.0.1 picks the
    /// default text and voice by the same substring test (`key in language`).
    public static func language(of name: String) -> String {
        let canonical = canonicalName(name) ?? name
        return languages.first { canonical.contains($0) } ?? "english"
    }

    /// The voice used when a caller names none (`get_default_voice_for_language`).
    public static func defaultVoice(for name: String) -> String {
        defaultVoiceForLanguage[language(of: name)] ?? "alba"
    }

    /// 4.0.1's `DEFAULT_TEXT_FOR_LANGUAGE`: what `generate` says when given no text.
    public static func defaultText(for name: String) -> String {
        defaultTextForLanguage[language(of: name)] ?? defaultTextForLanguage["english"]!
    }

    static let defaultTextForLanguage: [String: String] = [
        "english": "Hello world. I am Kyutai's Pocket TTS. I'm fast enough to run on small CPUs. I hope you'll like me.",
        "french": "Bonjour le monde. Je suis le TTS de poche de Kyutai. Je suis assez rapide pour fonctionner sur de petits CPU. J'espère que vous m'aimerez.",
        "german": "Hallo Welt. Ich bin Pocket TTS von Kyutai. Ich bin schnell genug, um auch auf kleinen CPUs zu laufen. Ich hoffe, ich gefalle dir.",
        "portuguese": "Olá mundo. Eu sou o Pocket TTS da Kyutai. Sou rápido o suficiente para rodar em CPUs pequenas. Espero que você goste de mim.",
        "italian": "Ciao mondo. Sono il Pocket TTS di Kyutai. Sono abbastanza veloce da funzionare su piccole CPU. Spero che ti piacerò.",
        "dutch": "Hallo wereld. Ik ben Pocket TTS van Kyutai. Ik ben snel genoeg om op kleine CPU's te draaien. Ik hoop dat je me leuk vindt.",
        "spanish": "Hola mundo. Soy el Pocket TTS de Kyutai. Soy lo suficientemente rápido para funcionar en pequeñas CPU. Espero que te guste.",
    ]
}

/// A model name that no built-in config has.
public enum ModelCatalogError: Error, Equatable, CustomStringConvertible {
    case unknownModel(String, known: [String])

    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            "unknown model '\(name)': the built-in models are \(known.joined(separator: ", ")) "
                + "(and \(ModelCatalog.aliases.keys.sorted().joined(separator: ", ")) for english_2026-01), or give a YAML file's path"
        }
    }
}
