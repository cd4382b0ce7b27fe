import ArgumentParser
import Foundation
import Kernels
import ModelHub
import PocketTTS
import TTSEngine

/// Model selection shared by every command that runs the model: `--config`, `--weights`,
/// `--tokenizer` (and the download flags) or `--demo`.
struct ModelOptions: ParsableArguments {
    @OptionGroup var files: ModelFileOptions
    @OptionGroup var progress: ProgressOptions

    @Flag(help: "Use seeded random weights of the real architecture instead of the real ones: for trying the pipeline and measuring speed. The audio is noise.")
    var demo = false

    @Option(help: "Seed of the --demo weights.")
    var demoSeed: UInt64 = 0

    /// The architecture: --model/--language/--config (default: english).
    func config() throws -> PocketTTSConfig { try files.modelConfig() }

    /// The tokenizer of `--demo`: `--tokenizer`; else the model's own when cached; else the
    /// repository's test tokenizer (offline, nothing to download); else the model's, downloaded.
    func demoTokenizer(config: PocketTTSConfig) throws -> String {
        if files.tokenizer != nil { return try files.resolveTokenizer(config: config) }
        var cacheOnly = files
        cacheOnly.noDownload = true
        if let cached = try? cacheOnly.resolveTokenizer(config: config) { return cached }
        if let shipped = DemoAssets.find(DemoAssets.tokenizer) {
            Log.info("demo: the repository's test tokenizer \(shipped) (the model's own is not cached)")
            return shipped
        }
        do { return try files.resolveTokenizer(config: config) } catch {
            throw ValidationError(DemoAssets.missing("tokenizer", flag: "--tokenizer") + " (\(error))")
        }
    }

    /// The model, FlowLM's linear layers in `precision`; logs once each part that falls back to a
    /// slower arithmetic on this CPU (`TTSModel.precisionFallbacks`).
    func load(precision: Precision = .exact) throws -> TTSModel {
        let model = try loadModel(precision: precision)
        for fallback in model.precisionFallbacks(precision) {
            Log.warning("precision \(precision): \(fallback)")
        }
        return model
    }

    private func loadModel(precision: Precision) throws -> TTSModel {
        if !precision.isAccelerated {
            Log.warning("precision \(precision): this CPU lacks the AVX-512 extension it uses; portable C runs it, slower than exact")
        }
        let config = try config()
        if demo {
            let tokenizerPath = try demoTokenizer(config: config)
            Log.warning("""
                ************************************************************************
                DEMO MODE: random weights (seed \(demoSeed)) of the real architecture.
                The pipeline and its speed are real; the audio is NOISE, not speech.
                ************************************************************************
                """)
            let tokenizer = try Tokenizer(path: tokenizerPath, configKind: config.flowLM.lookupTable.tokenizer)
            return try TTSModel.demo(config: config, seed: demoSeed, tokenizer: tokenizer, precision: precision)
        }
        if files.weights == nil, let flowLMPath = config.flowLM.weightsPath, let mimiPath = config.mimi.weightsPath {
            // A config with separate checkpoints (4.0.1: flow_lm.weights_path and mimi.weights_path,
            // possibly in the training layout, renamed at load).
            let locations = [("flow_lm weights", files.configRelative(flowLMPath)), ("mimi weights", files.configRelative(mimiPath)),
                             ("tokenizer", files.tokenizer ?? files.configRelative(config.flowLM.lookupTable.tokenizerPath))]
            let bar = progress.makeBar()
            defer { bar?.finish() }
            let paths = try ModelFiles.resolveAll(locations, allowDownload: !files.noDownload, client: files.client(), progress: bar?.handler)
            Log.info("model \(try files.modelName()): loading \(paths[0].path) and \(paths[1].path) (precision \(precision))")
            return try TTSModel.load(config: config, flowLMWeightsPath: paths[0].path, mimiWeightsPath: paths[1].path,
                                     tokenizerPath: paths[2].path, precision: precision)
        }
        let resolved: ResolvedModelFiles
        if let weights = files.weights, let tokenizer = files.tokenizer {
            resolved = try ModelFiles.resolve(
                sources: .official(voiceCloning: false), weights: weights, tokenizer: tokenizer,
                allowDownload: false, client: files.client(), progress: nil)
        } else {
            let sources = try files.sources()
            let bar = progress.makeBar()
            defer { bar?.finish() }
            resolved = try ModelFiles.resolve(
                sources: ModelFileSources(weights: files.configRelative(sources.weights), tokenizer: files.configRelative(sources.tokenizer)),
                weights: files.weights, tokenizer: files.tokenizer, allowDownload: !files.noDownload,
                client: files.client(), progress: bar?.handler)
        }
        Log.info("model \(try files.modelName()): loading weights \(resolved.weights.path) (precision \(precision))")
        return try TTSModel.load(config: config, weightsPath: resolved.weights.path, tokenizerPath: resolved.tokenizer.path,
                                 precision: precision)
    }
}

extension Precision: ExpressibleByArgument {}

/// `--precision` help: the choices and what they cost.
let precisionHelp = ArgumentHelp(
    "Arithmetic of FlowLM's linear layers: exact (f32, the reference's results), bf16 (bfloat16 products, AVX512-BF16) or int8 (int8 weights and activations, AVX512-VNNI).",
    valueName: "exact|bf16|int8")

/// A voice: a name (a voice of `--voices-dir`, else a predefined one, downloaded), a
/// voice-state `.safetensors` file, or an audio file to clone.
struct VoiceOptions: ParsableArguments {
    @Option(help: "Voice: a name (from --voices-dir, else one of the model's predefined voices: \(PredefinedVoices.modelNames.joined(separator: ", "))), a voice-state .safetensors file, or an audio file (any format and rate) to clone. Default: the model's own (alba for English, estelle for French, ...).")
    var voice: String?

    @Option(help: "Directory of named voices: NAME.safetensors (voice state) or NAME.wav/.flac/.ogg/.mp3 (audio, encoded when used). Searched before the predefined voices.")
    var voicesDir: String?

    func load(model: TTSModel, files: ModelFileOptions, demo: Bool = false) throws -> FlowLM.State {
        let voice = try self.voice ?? ModelCatalog.defaultVoice(for: files.modelName())
        let library = try VoiceLibrary(model: model, configuration: VoiceLibrary.Configuration(
            // As the reference's `generate`: audio prompts are used whole, however long.
            directory: voicesDir, maxCachedVoices: 1, promptSeconds: .infinity, maxAudioSeconds: .infinity,
            fallback: .predefined(client: files.client(), allowDownload: !files.noDownload, set: try files.voiceSet())))
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: voice, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try library.voice(fromFile: voice)
        }
        let named: Result<FlowLM.State, any Error> = Result { try library.voice(named: voice) }
        guard demo, case .failure(let error) = named else { return try named.get() }
        // Demo weights: a predefined name stands for the shipped speech sample (the states of the
        // predefined voices were made with the real weights anyway).
        guard let shipped = DemoAssets.find(DemoAssets.voice) else {
            throw ValidationError(DemoAssets.missing("voice", flag: "--voice") + " (\(error))")
        }
        Log.info("demo: voice '\(voice)' is not to be had offline; it is the repository's speech sample \(shipped)")
        return try library.voice(fromFile: shipped)
    }
}

/// Messages on stderr (stdout may carry audio).
enum Log {
    static func info(_ message: String) { FileHandle.standardError.write(Data(("pocket-tts: " + message + "\n").utf8)) }
    static func warning(_ message: String) { FileHandle.standardError.write(Data(("pocket-tts: WARNING: " + message + "\n").utf8)) }
}
