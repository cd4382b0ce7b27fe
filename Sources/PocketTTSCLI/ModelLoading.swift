import ArgumentParser
import Foundation
import PocketTTS

/// Model selection shared by every command that runs the model: `--config`, `--weights`,
/// `--tokenizer` (and the download flags) or `--demo`.
struct ModelOptions: ParsableArguments {
    @OptionGroup var files: ModelFileOptions
    @OptionGroup var progress: ProgressOptions

    @Flag(help: "Use seeded random weights of the real architecture instead of the real ones: for trying the pipeline and measuring speed. The audio is noise.")
    var demo = false

    @Option(help: "Seed of the --demo weights.")
    var demoSeed: UInt64 = 0

    /// The architecture: `--config`, or the built-in b6369a24.
    func config() throws -> PocketTTSConfig {
        guard let path = files.config else { return try PocketTTSConfig.b6369a24() }
        return try PocketTTSConfig(contentsOf: URL(fileURLWithPath: path))
    }

    /// A local path in the config is relative to the config file's folder.
    private func configRelative(_ location: String) -> String {
        guard let config = files.config, !HubURL.isHubURL(location), !location.hasPrefix("/") else { return location }
        return URL(fileURLWithPath: config).deletingLastPathComponent().appendingPathComponent(location).standardized.path
    }

    func load() throws -> TTSModel {
        let config = try config()
        if demo {
            let tokenizerPath = try resolveTokenizerOnly(config: config)
            Log.warning("""
                ************************************************************************
                DEMO MODE: random weights (seed \(demoSeed)) of the real architecture.
                The pipeline and its speed are real; the audio is NOISE, not speech.
                ************************************************************************
                """)
            return try TTSModel.demo(config: config, seed: demoSeed, tokenizer: try Tokenizer(modelPath: tokenizerPath))
        }
        let resolved: ResolvedModelFiles
        if let weights = files.weights, let tokenizer = files.tokenizer {
            resolved = try ModelFiles.resolve(
                sources: .official(voiceCloning: false), weights: weights, tokenizer: tokenizer,
                allowDownload: false, client: files.client(), progress: nil)
        } else {
            let sources = files.config == nil
                ? ModelFileSources.official(voiceCloning: files.voiceCloning)
                : try ModelFileSources(configFile: URL(fileURLWithPath: files.config!), voiceCloning: files.voiceCloning)
            let bar = progress.makeBar()
            defer { bar?.finish() }
            resolved = try ModelFiles.resolve(
                sources: ModelFileSources(weights: configRelative(sources.weights), tokenizer: configRelative(sources.tokenizer)),
                weights: files.weights, tokenizer: files.tokenizer, allowDownload: !files.noDownload,
                client: files.client(), progress: bar?.handler)
        }
        Log.info("loading weights \(resolved.weights.path)")
        return try TTSModel.load(config: config, weightsPath: resolved.weights.path, tokenizerPath: resolved.tokenizer.path)
    }

    /// --demo needs only a tokenizer: explicit, from the config, cached or downloaded.
    private func resolveTokenizerOnly(config: PocketTTSConfig) throws -> String {
        let location = files.tokenizer ?? configRelative(config.flowLM.lookupTable.tokenizerPath)
        let resolved = try ModelFiles.resolveAll(
            [("tokenizer", location)], allowDownload: !files.noDownload, client: files.client(), progress: nil)
        return resolved[0].path
    }
}

/// A voice: a predefined name (`alba`, ...; downloaded voice state), a voice-state
/// `.safetensors` file, or an audio file to clone.
struct VoiceOptions: ParsableArguments {
    @Option(help: "Voice: a predefined name (\(PredefinedVoices.names.joined(separator: ", "))), a voice-state .safetensors file, or an audio file (any format and rate) to clone.")
    var voice = "alba"

    func load(model: TTSModel, files: ModelFileOptions) throws -> FlowLM.State {
        try Self.load(voice, model: model, files: files)
    }

    /// `voice`: a file (voice state or audio) or a predefined name (cached or downloaded).
    static func load(_ voice: String, model: TTSModel, files: ModelFileOptions) throws -> FlowLM.State {
        if FileManager.default.fileExists(atPath: voice) {
            return try model.voiceState(file: voice)
        }
        guard let source = PredefinedVoices.source(voice) else {
            throw ValidationError("--voice '\(voice)': no such file, and not a predefined voice (\(PredefinedVoices.names.joined(separator: ", ")))")
        }
        let path = try ModelFiles.resolveAll(
            [("voice \(voice)", source)], allowDownload: !files.noDownload, client: files.client(), progress: nil)[0].path
        return try model.voiceState(file: path)
    }
}

/// Messages on stderr (stdout may carry audio).
enum Log {
    static func info(_ message: String) { FileHandle.standardError.write(Data(("pocket-tts: " + message + "\n").utf8)) }
    static func warning(_ message: String) { FileHandle.standardError.write(Data(("pocket-tts: WARNING: " + message + "\n").utf8)) }
}
