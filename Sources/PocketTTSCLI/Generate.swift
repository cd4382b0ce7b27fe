import ArgumentParser
import AudioIO
import Foundation
import Kernels
import PocketTTS
import TTSEngine

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate speech from text into a WAV file (or raw PCM on stdout).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var voiceOptions: VoiceOptions

    @Option(help: "Text to speak; '-' reads standard input. Default: the model language's demo sentence.")
    var text: String?

    @Option(help: "Sampling temperature (0: deterministic). Default: the model's (default_temperature, 0.3).")
    var temperature: Float?

    @Option(help: "LSD decoding steps of the flow head.")
    var lsdDecodeSteps = 1

    @Option(help: "Clamp the sampling noise to ±this value (truncated normal).")
    var noiseClamp: Float?

    @Option(help: "EOS logit threshold; a very large value disables EOS. Default: the model's (default_eos_threshold: -4, the tiny models -1).")
    var eosThreshold: Float?

    @Option(help: "Frames generated after EOS (default: the model's model_recommended_frames_after_eos, else the reference's guess per chunk).")
    var framesAfterEos: Int?

    @Option(help: "Maximum number of tokens per chunk.")
    var maxTokens = TextChunk.defaultMaxTokens

    @Option(help: ArgumentHelp(
        "Hard cap on a chunk's tokens (at least --max-tokens).",
        discussion: "Chunks of the reference within it are kept exactly; a longer sentence is split at clause, then word boundaries."))
    var maxTokensPerChunk = TextChunk.defaultTokenCap

    @Option(help: "Seed of the sampling noise (default: random; printed).")
    var seed: UInt64?

    @Option(help: "Output WAV file; '-' writes raw PCM (little-endian, in --sample-format) to stdout as frames are decoded.")
    var outputPath = "./tts_output.wav"

    @Option(help: "Sample format: s16 (16-bit PCM, as the reference) or f32 (32-bit float).")
    var sampleFormat: SampleFormat = .s16

    @Option(help: "Cap every chunk at this many frames (fixed-length runs; random weights never emit a reliable EOS).")
    var maxFrames: Int?

    @Option(help: "Write the generated latents [F, 32] and EOS logits [F] to this safetensors file (debugging, parity checks).")
    var dumpLatents: String?

    @Option(help: "Seconds of silence appended to a WAV file, as the reference does.")
    var trailingSilence = 0.2

    @OptionGroup var normalization: NormalizationOptions
    @Option(help: ArgumentHelp(precisionHelp.abstract + " Default: int8 where the CPU has AVX512-VNNI or AVX2, else exact; exact for the reference's output.", valueName: "exact|bf16|int8"))
    var precision: Precision = .recommended

    mutating func validate() throws {
        if let temperature { guard temperature >= 0 else { throw ValidationError("--temperature must be >= 0") } }
        guard lsdDecodeSteps >= 1 else { throw ValidationError("--lsd-decode-steps must be >= 1") }
        guard maxTokensPerChunk > 0 else { throw ValidationError("--max-tokens-per-chunk must be positive") }
        if let c = noiseClamp, !(c > 0) { throw ValidationError("--noise-clamp must be > 0") }
        guard trailingSilence >= 0 else { throw ValidationError("--trailing-silence must be >= 0") }
    }

    func run() throws {
        var text = try self.text ?? ModelCatalog.defaultText(for: model.files.modelName())
        if text == "-" { text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
        text = try normalization.apply(to: text)
        let started = ContinuousClock.now
        let tts = try model.load(precision: precision)
        let voice = try voiceOptions.load(model: tts, files: model.files, demo: model.demo)
        let loaded = ContinuousClock.now
        Log.info("model and voice ready in \(format(loaded - started))")

        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        if self.seed == nil { Log.info("seed \(seed)") }
        let options = GenerationOptions(
            sampling: FlowLMSampling(
                temperature: temperature ?? Float(tts.config.defaultTemperature), lsdSteps: lsdDecodeSteps,
                noiseClamp: noiseClamp, eosThreshold: eosThreshold ?? Float(tts.config.defaultEOSThreshold)),
            framesAfterEOS: framesAfterEos ?? tts.config.recommendedFramesAfterEOS, maxTokens: maxTokens, tokenCap: max(maxTokens, maxTokensPerChunk),
            maxFrames: maxFrames, seed: seed)

        let output = try AudioSink(path: outputPath, sampleRate: tts.sampleRate, format: sampleFormat)
        // Through the engine, as the service runs it: FlowLM on the producer thread, Mimi on the
        // consumer threads, so the two overlap. Frames reach `collector` on one consumer thread
        // (a stream is pinned to one).
        let engine = Engine(model: tts, configuration: EngineConfiguration(maxChunkTokens: max(maxTokens, maxTokensPerChunk)))
        engine.start()
        defer { engine.stop() }
        let collector = FrameCollector(output: output)
        let generationStart = ContinuousClock.now
        let id = try engine.openStream(voice: voice, options: options, sink: collector)
        try engine.enqueue(text: text, to: id)
        engine.finish(id)
        let result = collector.wait()
        let elapsed = ContinuousClock.now - generationStart
        try result.get()
        let (latents, logits, frames, firstAudio) = collector.collected(since: generationStart)
        try output.finish(trailingSilence: Int(trailingSilence * Double(tts.sampleRate)))

        if let dumpLatents {
            var writer = SafetensorsWriter()
            try writer.add("latents", shape: [frames, tts.flowLM.dimensions.latentDim], values: latents)
            try writer.add("eos_logits", shape: [frames], values: logits)
            try writer.write(to: URL(fileURLWithPath: dumpLatents))
        }
        let audioSeconds = Double(frames * tts.frameLength) / Double(tts.sampleRate)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        Log.info(String(format: "%d frames, %.2f s of audio in %.2f s (%.2fx real time), first audio after %@",
                        frames, audioSeconds, seconds, audioSeconds / max(seconds, 1e-9), firstAudio.map(format) ?? "-"))
        if outputPath != "-" { Log.info("wrote \(outputPath)") }
    }

    private func format(_ d: Duration) -> String {
        String(format: "%.0f ms", Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15)
    }
}

extension SampleFormat: ExpressibleByArgument {}

/// Receives one stream's frames on its engine consumer thread and writes them out; the main
/// thread waits for the end of the stream.
final class FrameCollector: StreamSink, @unchecked Sendable {
    private let output: AudioSink
    private let done = DispatchSemaphore(value: 0)
    // Written on the stream's consumer thread only, read after `done` is signalled.
    private var latents: [Float] = []
    private var logits: [Float] = []
    private var frames = 0
    private var firstFrameAt: ContinuousClock.Instant?
    private var result: Result<Void, Error> = .success(())

    init(output: AudioSink) { self.output = output }

    func stream(_ id: StreamID, didProduce frame: GeneratedFrame) {
        if firstFrameAt == nil { firstFrameAt = .now }
        do { try output.write(frame.audio) } catch { result = .failure(error) }
        latents += frame.latent
        logits.append(frame.eosLogit)
        frames += 1
    }

    func streamDidFinish(_ id: StreamID) { done.signal() }

    func stream(_ id: StreamID, didFail error: Error) {
        result = .failure(error)
        done.signal()
    }

    func wait() -> Result<Void, Error> {
        done.wait()
        return result
    }

    func collected(since start: ContinuousClock.Instant) -> (latents: [Float], logits: [Float], frames: Int, firstAudio: Duration?) {
        (latents, logits, frames, firstFrameAt.map { $0 - start })
    }
}

/// Where generated audio goes: a WAV file, or raw little-endian PCM on stdout.
final class AudioSink {
    private let wav: WAVWriter?
    private let format: SampleFormat

    init(path: String, sampleRate: Int, format: SampleFormat) throws {
        self.format = format
        wav = path == "-" ? nil : try WAVWriter(path: path, sampleRate: sampleRate, format: format)
    }

    func write(_ samples: [Float]) throws {
        if let wav { return try wav.append(samples) }
        var bytes = Data()
        switch format {
        case .f32:
            samples.withUnsafeBytes { bytes.append(contentsOf: $0) }
        case .s16:
            let shorts = samples.map { pcm16($0).littleEndian }
            shorts.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        FileHandle.standardOutput.write(bytes)
    }

    func finish(trailingSilence: Int) throws {
        guard let wav else { return }
        if trailingSilence > 0 { try wav.append([Float](repeating: 0, count: trailingSilence)) }
        wav.close()
    }
}
