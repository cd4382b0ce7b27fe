import Foundation
import Yams

/// Where the model's files come from: `hf://` URLs (pinned to commits) or local paths, as the
/// config's `weights_path`, `weights_path_without_voice_cloning` and
/// `flow_lm.lookup_table.tokenizer_path` give them.
public struct ModelFileSources: Sendable, Equatable {
    public var weights: String
    public var tokenizer: String

    public init(weights: String, tokenizer: String) {
        self.weights = weights
        self.tokenizer = tokenizer
    }

    // The values of `Configs/b6369a24.yaml` (pocket-tts 1.1.1's `config/b6369a24.yaml`).
    /// Gated: needs the terms accepted on Hugging Face and HF_TOKEN.
    public static let voiceCloningWeights =
        "hf://kyutai/pocket-tts/tts_b6369a24.safetensors@427e3d61b276ed69fdd03de0d185fa8a8d97fc5b"
    public static let weightsWithoutVoiceCloning =
        "hf://kyutai/pocket-tts-without-voice-cloning/tts_b6369a24.safetensors@d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3"
    public static let officialTokenizer =
        "hf://kyutai/pocket-tts-without-voice-cloning/tokenizer.model@d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3"

    /// The official b6369a24 files of pocket-tts 1.1.1 (the built-in models' own files come from
    /// their configs: `ModelFileSources(configYAML:)`). Unlike the reference (which tries the gated repository first
    /// and silently falls back), the repository is chosen explicitly.
    public static func official(voiceCloning: Bool) -> ModelFileSources {
        ModelFileSources(weights: voiceCloning ? voiceCloningWeights : weightsWithoutVoiceCloning, tokenizer: officialTokenizer)
    }

    /// Reads the three paths from config YAML, ignoring every other key (the model config itself
    /// is validated by `PocketTTSConfig`).
    public init(configYAML: String, voiceCloning: Bool) throws(ModelFilesError) {
        let root: Any?
        do { root = try Yams.load(yaml: configYAML) } catch { throw .invalidConfig(reason: "invalid YAML: \(error)") }
        guard let root = root as? [String: Any] else { throw .invalidConfig(reason: "the top level is not a mapping") }
        let weightsKey = voiceCloning ? "weights_path" : "weights_path_without_voice_cloning"
        guard let weights = root[weightsKey] as? String, !weights.isEmpty else {
            throw .invalidConfig(reason: "missing \(weightsKey)")
        }
        let lookupTable = (root["flow_lm"] as? [String: Any])?["lookup_table"] as? [String: Any]
        guard let tokenizer = lookupTable?["tokenizer_path"] as? String, !tokenizer.isEmpty else {
            throw .invalidConfig(reason: "missing flow_lm.lookup_table.tokenizer_path")
        }
        self.init(weights: weights, tokenizer: tokenizer)
    }

    public init(configFile: URL, voiceCloning: Bool) throws(ModelFilesError) {
        let text: String
        do { text = try String(contentsOf: configFile, encoding: .utf8) } catch {
            throw .invalidConfig(reason: "cannot read \(configFile.path): \(error.localizedDescription)")
        }
        try self.init(configYAML: text, voiceCloning: voiceCloning)
    }
}

/// The reference's predefined voices: voice states, public. pocket-tts 4.0.1 keeps one set per
/// model (`get_predefined_voice(language, name)`: `languages/NAME/embeddings/VOICE.safetensors`,
/// made with that model's weights, so a voice of one model is not used with another); 1.1.1 had
/// one set of eight (`embeddings_v2/`), which a config file of the 1.1.1 model still uses.
public enum PredefinedVoices {
    /// Which model's voice states.
    public enum Set: Sendable, Equatable, Hashable {
        /// 1.1.1's eight voices of b6369a24 (`embeddings_v2/`): for a model given as a config file.
        case legacy
        /// 4.0.1's voices of a built-in model (its config name).
        case model(String)
    }

    /// 1.1.1's `PREDEFINED_VOICES`.
    public static let names = ["alba", "marius", "javert", "jean", "fantine", "cosette", "eponine", "azelma"]
    static let revision = "2578fed2380333b621689eaed6fe144cf69dfeb3"

    /// 4.0.1's voice names (`_ORIGINS_OF_PREDEFINED_VOICES`), each a state per built-in model.
    public static let modelNames = [
        "alba", "anna", "azelma", "bill_boerst", "caro_davy", "charles", "cosette", "daan", "estelle", "eponine",
        "eve", "fantine", "george", "giovanni", "jane", "javert", "jean", "juergen", "lola", "marius", "mary",
        "michael", "paul", "peter_yearsley", "rafael", "stuart_bell", "vera",
    ]
    /// The revision 4.0.1 pins for `languages/*/embeddings/` (`get_predefined_voice`).
    static let modelRevision = "a7056f505a4a8ca72d8b5fb1440071d6f1a35739"

    /// The names of a set.
    public static func names(in set: Set) -> [String] {
        switch set {
        case .legacy: names
        case .model: modelNames
        }
    }

    /// `hf://kyutai/pocket-tts-without-voice-cloning/embeddings_v2/{name}.safetensors@...`, nil for an unknown name.
    public static func source(_ name: String) -> String? { source(name, in: .legacy) }

    /// The `hf://` URL of a voice state of `set`, nil for a name the set lacks.
    public static func source(_ name: String, in set: Set) -> String? {
        guard names(in: set).contains(name) else { return nil }
        switch set {
        case .legacy:
            return "hf://kyutai/pocket-tts-without-voice-cloning/embeddings_v2/\(name).safetensors@\(revision)"
        case .model(let model):
            return "hf://kyutai/pocket-tts-without-voice-cloning/languages/\(model)/embeddings/\(name).safetensors@\(modelRevision)"
        }
    }
}

/// Local paths of the weights and tokenizer.
public struct ResolvedModelFiles: Sendable, Equatable {
    public var weights: URL
    public var tokenizer: URL

    public init(weights: URL, tokenizer: URL) {
        self.weights = weights
        self.tokenizer = tokenizer
    }
}

/// How every model command finds its files: explicit paths (`--weights`, `--tokenizer`), then
/// the hub cache, then a download. (`--demo`, random weights, is the caller's business.)
public enum ModelFiles {
    /// Resolves both files, trying each even when the other fails, and throws ONE
    /// `ModelFilesError.unavailable` listing every file that could not be had, with its URL and
    /// why. A missing explicit path is reported the same way.
    public static func resolve(
        sources: ModelFileSources, weights: String? = nil, tokenizer: String? = nil, allowDownload: Bool = true,
        client: HubClient = HubClient(), progress: DownloadProgressHandler? = nil
    ) throws(ModelFilesError) -> ResolvedModelFiles {
        let paths = try resolveAll(
            [("weights", weights ?? sources.weights), ("tokenizer", tokenizer ?? sources.tokenizer)],
            allowDownload: allowDownload, client: client, progress: progress)
        return ResolvedModelFiles(weights: paths[0], tokenizer: paths[1])
    }

    /// Resolves several `(role, location)` pairs (a location is an `hf://` URL or a local path),
    /// in order; throws one `.unavailable` naming all failures. Malformed URLs throw at once.
    public static func resolveAll(
        _ files: [(role: String, location: String)], allowDownload: Bool = true, client: HubClient = HubClient(),
        progress: DownloadProgressHandler? = nil
    ) throws(ModelFilesError) -> [URL] {
        var resolved: [URL] = []
        var missing: [MissingModelFile] = []
        for (role, location) in files {
            guard HubURL.isHubURL(location) else {
                if FileManager.default.fileExists(atPath: location) {
                    resolved.append(URL(fileURLWithPath: location))
                } else {
                    missing.append(MissingModelFile(role: role, url: location, reason: .localFileMissing(role: role, path: location)))
                }
                continue
            }
            let hubURL = try HubURL(parsing: location)
            do {
                resolved.append(try client.file(hubURL, allowDownload: allowDownload, progress: progress))
            } catch {
                missing.append(MissingModelFile(role: role, url: client.resolveURL(hubURL).absoluteString, reason: error))
            }
        }
        guard missing.isEmpty else { throw .unavailable(missing, cacheDirectory: client.cache.directory.path) }
        return resolved
    }
}
