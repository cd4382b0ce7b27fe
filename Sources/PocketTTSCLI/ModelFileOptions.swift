import ArgumentParser
import Foundation
import ModelHub
import PocketTTS

/// Flags every model command shares to find its weights and tokenizer: explicit paths, then the
/// Hugging Face cache, then a download (`ModelFiles.resolve`). `--demo` stays with each command.
struct ModelFileOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp(
        "The model: a built-in config's name (`pocket-tts models` lists them) or a config YAML file. `serve` takes it repeated: several models in one service, the first the default.",
        discussion: "Default: english (the model of english_2026-10). b6369a24 is english_2026-01. Each model's own defaults (temperature, EOS threshold, frames after EOS, default voice) apply wherever no flag gives one.",
        valueName: "name|path"))
    var models: [String] = []

    /// The one `--model` (commands other than `serve` take one; `choice()` refuses more).
    var model: String? { models.first }

    @Option(help: ArgumentHelp("The reference's spelling of --model: any config name (english, french_24l, english_7m_2026-10, ...).", valueName: "name"))
    var language: String?

    @Option(help: "Weights file (.safetensors) or hf:// URL. Default: the model's official weights, cached or downloaded.")
    var weights: String?

    @Option(help: "Tokenizer file (SentencePiece .model or Hugging Face tokenizer.json) or hf:// URL. Default: the model's official tokenizer, cached or downloaded.")
    var tokenizer: String?

    @Option(help: "Model config YAML (the reference's --config): its architecture and its weights_path / tokenizer_path.")
    var config: String?

    @Flag(help: "Use the gated kyutai/pocket-tts weights (voice cloning; accept the terms on Hugging Face and set HF_TOKEN) instead of kyutai/pocket-tts-without-voice-cloning.")
    var voiceCloning = false

    @Option(help: ArgumentHelp(
        "Hugging Face cache directory.",
        discussion: "Default, first match: POCKET_TTS_CACHE_DIR, HF_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub."))
    var cacheDir: String?

    @Flag(help: "Never download: use explicit paths and the cache only (also HF_HUB_OFFLINE=1).")
    var noDownload = false

    /// What names the model: a built-in config or a YAML file (exactly one of them).
    enum Choice: Equatable {
        case builtin(name: String)
        case file(path: String)
    }

    /// `--model`, `--language` (the reference's spelling) or `--config`; a `--model` ending in
    /// .yaml/.yml is a file. At most one may be given; none means `ModelCatalog.defaultModel`.
    func choice() throws -> Choice {
        guard models.count <= 1 else {
            throw ValidationError("--model given \(models.count) times: only `serve` takes several models")
        }
        let given = [model.map { ("--model", $0) }, language.map { ("--language", $0) }, config.map { ("--config", $0) }]
            .compactMap { $0 }
        guard given.count <= 1 else {
            throw ValidationError("give one of --model, --language and --config, not \(given.map(\.0).joined(separator: " and "))")
        }
        guard let (flag, value) = given.first else { return .builtin(name: ModelCatalog.defaultModel) }
        if flag == "--config" || value.hasSuffix(".yaml") || value.hasSuffix(".yml") { return .file(path: value) }
        guard let name = ModelCatalog.canonicalName(value) else {
            throw ValidationError("\(ModelCatalogError.unknownModel(value, known: ModelCatalog.names))")
        }
        return .builtin(name: name)
    }

    /// The config file's path, when the model is a YAML file.
    var configPath: String? {
        if case .file(let path)? = try? choice() { return path }
        return nil
    }

    /// The model's name for logs, voice paths and `models`: the built-in name, or the file's stem.
    func modelName() throws -> String {
        switch try choice() {
        case .builtin(let name): name
        case .file(let path): URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        }
    }

    /// The config's YAML text.
    func configYAML() throws -> String {
        switch try choice() {
        case .builtin(let name): return try ModelCatalog.yaml(named: name)
        case .file(let path):
            do { return try String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8) } catch {
                throw ConfigError.fileNotFound(path: path)
            }
        }
    }

    func sources() throws -> ModelFileSources {
        try ModelFileSources(configYAML: configYAML(), voiceCloning: voiceCloning)
    }

    /// Where the predefined voices of this model live (4.0.1: per model, `languages/NAME/embeddings/`);
    /// nil for a config file, whose weights the predefined voice states were not made with.
    func voiceSet() throws -> PredefinedVoices.Set {
        switch try choice() {
        case .builtin(let name): .model(name)
        case .file: .legacy
        }
    }

    /// Endpoint (HF_ENDPOINT), token (HF_TOKEN) and cache from the environment and flags.
    func client() -> HubClient { HubClient(cacheDirectory: cacheDir) }

    /// The architecture: the built-in config named by --model/--language, or --config's file.
    func modelConfig() throws -> PocketTTSConfig {
        switch try choice() {
        case .builtin(let name): return try ModelCatalog.config(named: name)
        case .file(let path): return try PocketTTSConfig(contentsOf: URL(fileURLWithPath: path))
        }
    }

    /// A local path in the config is relative to the config file's folder.
    func configRelative(_ location: String) -> String {
        guard let config = configPath, !HubURL.isHubURL(location), !location.hasPrefix("/") else { return location }
        return URL(fileURLWithPath: config).deletingLastPathComponent().appendingPathComponent(location).standardized.path
    }

    /// The tokenizer alone: `--tokenizer`, else the config's `tokenizer_path` (relative to the
    /// config file), cached or downloaded.
    func resolveTokenizer(config: PocketTTSConfig) throws -> String {
        let location = tokenizer ?? configRelative(config.flowLM.lookupTable.tokenizerPath)
        return try ModelFiles.resolveAll([("tokenizer", location)], allowDownload: !noDownload, client: client(), progress: nil)[0].path
    }

    func resolve(progress: ProgressOptions) throws -> ResolvedModelFiles {
        let bar = progress.makeBar()
        defer { bar?.finish() }
        return try ModelFiles.resolve(
            sources: sources(), weights: weights, tokenizer: tokenizer, allowDownload: !noDownload, client: client(),
            progress: bar?.handler)
    }
}

/// Download progress on stderr: shown when stderr is a terminal, or with --progress; never with --quiet.
struct ProgressOptions: ParsableArguments {
    @Flag(help: "Show the download progress bar even when stderr is not a terminal.")
    var progress = false

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    func makeBar() -> DownloadProgressBar? {
        guard !quiet, progress || DownloadProgressBar.standardErrorIsTerminal else { return nil }
        return DownloadProgressBar()
    }
}
