import ArgumentParser
import Foundation
import ModelHub
import PocketTTS

/// Flags every model command shares to find its weights and tokenizer: explicit paths, then the
/// Hugging Face cache, then a download (`ModelFiles.resolve`). `--demo` stays with each command.
struct ModelFileOptions: ParsableArguments {
    @Option(help: "Weights file (.safetensors) or hf:// URL. Default: the official weights, cached or downloaded.")
    var weights: String?

    @Option(help: "SentencePiece tokenizer file or hf:// URL. Default: the official tokenizer, cached or downloaded.")
    var tokenizer: String?

    @Option(help: "Model config YAML whose weights_path / tokenizer_path to use (default: the built-in b6369a24 paths).")
    var config: String?

    @Flag(help: "Use the gated kyutai/pocket-tts weights (voice cloning; accept the terms on Hugging Face and set HF_TOKEN) instead of kyutai/pocket-tts-without-voice-cloning.")
    var voiceCloning = false

    @Option(help: ArgumentHelp(
        "Hugging Face cache directory.",
        discussion: "Default, first match: POCKET_TTS_CACHE_DIR, HF_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub."))
    var cacheDir: String?

    @Flag(help: "Never download: use explicit paths and the cache only (also HF_HUB_OFFLINE=1).")
    var noDownload = false

    func sources() throws -> ModelFileSources {
        guard let config else { return .official(voiceCloning: voiceCloning) }
        return try ModelFileSources(configFile: URL(fileURLWithPath: config), voiceCloning: voiceCloning)
    }

    /// Endpoint (HF_ENDPOINT), token (HF_TOKEN) and cache from the environment and flags.
    func client() -> HubClient { HubClient(cacheDirectory: cacheDir) }

    /// The architecture: `--config`, or the built-in b6369a24.
    func modelConfig() throws -> PocketTTSConfig {
        guard let config else { return try PocketTTSConfig.b6369a24() }
        return try PocketTTSConfig(contentsOf: URL(fileURLWithPath: config))
    }

    /// A local path in the config is relative to the config file's folder.
    func configRelative(_ location: String) -> String {
        guard let config, !HubURL.isHubURL(location), !location.hasPrefix("/") else { return location }
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
