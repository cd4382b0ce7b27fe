import ArgumentParser
import AudioIO
import Foundation
import Kernels
import PocketTTS
import TTSEngine

/// `pocket-tts-bench`: the Swift side of Benchmarks/ (see Benchmarks/README.md). The same
/// weights, sentence, voice clip and settings as `reference_bench.py`; one JSON document on
/// stdout, progress on stderr.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine-bench",
        abstract: "Speed of the Swift engine on full-size weights (time to first audio, real-time factor, voice encoding, per-step costs, concurrent streams).")

    /// The reference script's `TEXT_43`.
    static let text = "On the first day of spring, the children ran down to the river with their bright kites, "
        + "laughing and shouting as the colours rose high above the tall trees."
    static let noEOSThreshold: Float = 1e9

    /// OpenBLAS's kernels as `pocket-tts` picks them, then parse and run.
    static func main() {
        if let note = BLAS.useKernelsForThisCPU() { FileHandle.standardError.write(Data("engine-bench: \(note)\n".utf8)) }
        main(nil)
    }

    @Option(help: "Weights (.safetensors), e.g. from `pocket-tts make-random-weights --dtype bf16`.")
    var weights: String

    @Option(help: "SentencePiece tokenizer.")
    var tokenizer: String

    @Option(help: "Speech sample for the voice (cut to --voice-seconds).")
    var speech: String

    @Option(help: "Model config YAML (default: the built-in b6369a24).")
    var config: String?

    @Option(help: "Where a cut voice clip is written when the speech sample is longer than --voice-seconds.")
    var workdir = "/tmp/pocket-tts-bench"

    @Option(help: "Seconds of the speech sample used as the voice.")
    var voiceSeconds = 7.0

    @Option(help: "Repetitions of (a), (c) and the text prompt.")
    var repeats = 5

    @Option(help: "Frames generated per (a) run.")
    var ttfaFrames = 12

    @Option(help: "Frames of the (b) utterance and of each (e) stream (188 = 15.04 s).")
    var rtfFrames = 188

    @Option(help: "Frames timed in (d).")
    var stepFrames = 40

    @Option(help: "Concurrent stream counts of (e), comma-separated.")
    var streams = "1,2,4,8"

    @Option(help: "OpenBLAS threads (the engine's default is 1).")
    var blasThreads = 1

    @Option(help: "Engine consumer (Mimi decoder) threads (the engine's default is 2).")
    var consumerThreads = EngineConfiguration().consumerThreads

    @Option(help: "Arithmetic of FlowLM's linear layers: exact, bf16 or int8 (default: the service's, Precision.recommended).")
    var precision = Precision.recommended.rawValue

    @Option(help: "(e): milliseconds between the starts of successive streams (0: all at once).")
    var staggerMs = 0.0

    @Option(help: "Engine: seconds a stream may be ahead of real time and still step while a new stream awaits its first audio (default: the engine's).")
    var aheadLimit = EngineConfiguration().aheadLimitSeconds

    @Flag(help: "Run only the voice encoding (for the voice) and (e).")
    var onlyConcurrent = false

    func run() throws {
        let streamCounts = streams.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !streamCounts.isEmpty, streamCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--streams: positive counts, comma-separated")
        }
        guard consumerThreads >= 1 else { throw ValidationError("--consumer-threads: at least 1") }
        guard let precision = Precision(rawValue: self.precision) else {
            throw ValidationError("--precision: one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var engineConfiguration = EngineConfiguration(maxStreams: max(16, streamCounts.max()!), blasThreads: blasThreads,
                                                      consumerThreads: consumerThreads)
        engineConfiguration.aheadLimitSeconds = aheadLimit
        BLAS.setThreadCount(blasThreads)  // as Engine.start() does, for the runs before it too
        let loadBefore = loadAverage()
        let sampling = FlowLMSampling(temperature: 0.7, lsdSteps: 1, eosThreshold: Self.noEOSThreshold)

        log("loading \(weights)...")
        let modelConfig = try config.map { try PocketTTSConfig(contentsOf: URL(fileURLWithPath: $0)) } ?? PocketTTSConfig.b6369a24()
        let (loadSeconds, model) = try timed {
            try TTSModel.load(config: modelConfig, weightsPath: weights, tokenizerPath: tokenizer, precision: precision)
        }
        let chunks = try model.chunks(for: Self.text)
        guard chunks.count == 1 else { throw BenchError.unexpectedText("\(chunks.count) chunks, expected 1") }
        let tokens = chunks[0].tokens
        let bench = ModelBench(model: model, tokens: tokens, sampling: sampling)

        log("(c) voice encode...")
        let clip = try voiceClip()
        let (voiceResult, voice) = try bench.voiceEncode(clip: clip, repeats: max(2, repeats / 2 + 1))

        let engine = Engine(model: model, configuration: engineConfiguration)
        engine.start()
        defer { engine.stop() }
        let runs = EngineBench(engine: engine, voice: voice, text: Self.text, sampling: sampling,
                               frameLength: model.frameLength, sampleRate: model.sampleRate, staggerSeconds: staggerMs / 1000)
        log("warm-up...")
        _ = try runs.run(streams: 1, frames: 4, seed: 1)

        var (ttfa, rtf, isolated, prompt): ([String: Any], [String: Any], [String: Any], [String: Any]) = ([:], [:], [:], [:])
        var batched: [[String: Any]] = []
        if !onlyConcurrent {
            log("(a) time to first audio...")
            ttfa = try runs.timeToFirstAudio(repeats: repeats, frames: ttfaFrames)
            log("(b) real-time factor, \(rtfFrames) frames...")
            rtf = try runs.realTimeFactor(frames: rtfFrames)
            log("(d) isolated FlowLM steps and Mimi decodes...")
            isolated = try bench.isolatedSteps(voice: voice, steps: stepFrames)
            batched = try bench.batchedSteps(voice: voice, batchSizes: streamCounts, steps: 16)
            log("(f) text prompt...")
            prompt = try bench.textPrompt(voice: voice, repeats: repeats)
        }
        var concurrent: [[String: Any]] = []
        for count in streamCounts {
            log("(e) \(count) concurrent stream(s) of \(rtfFrames) frames...")
            concurrent.append(try runs.concurrent(streams: count, frames: rtfFrames))
        }

        let result: [String: Any] = [
            "implementation": "PocketTTS-Swift (precision \(precision)), random bf16 weights from \((weights as NSString).lastPathComponent), "
                + "temperature 0.7, lsd steps 1, EOS disabled, through TTSEngine.Engine (producer + \(engineConfiguration.consumerThreads) consumer thread(s))",
            "machine": ["cpus": ProcessInfo.processInfo.activeProcessorCount, "platform": platformDescription(),
                        "blas_threads": BLAS.threadCount, "load_average_before": loadBefore,
                        "load_average_after": loadAverage()],
            "engine": ["max_queued_frames": engineConfiguration.maxQueuedFrames,
                       "prefill_slice_tokens": engineConfiguration.prefillSliceTokens,
                       "consumer_threads": engineConfiguration.consumerThreads,
                       "ahead_limit_s": engineConfiguration.aheadLimitSeconds, "stagger_ms": staggerMs],
            "model_load_s": rounded(loadSeconds, 3),
            "precision": precision.rawValue,
            "text": Self.text,
            "text_tokens": tokens.count,
            "a_time_to_first_audio": ttfa,
            "b_real_time_factor": rtf,
            "c_voice_encode_7s": voiceResult.merging(["file": clip]) { a, _ in a },
            "d_per_step_isolated": isolated.merging(["batched_flow_lm_step": batched]) { a, _ in a },
            "e_concurrent_streams": concurrent,
            "f_text_prompt": prompt,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        FileHandle.standardOutput.write(json + Data("\n".utf8))
    }

    /// The speech sample itself when it is at most `voiceSeconds` long (the 6.91 s sample),
    /// else its first `voiceSeconds` written losslessly (float WAV) into `workdir`.
    func voiceClip() throws -> String {
        let info = try AudioFile.info(speech)
        if info.duration <= voiceSeconds { return speech }
        var audio = try AudioFile.read(speech)
        audio.samples.removeSubrange(Int(voiceSeconds * Double(audio.sampleRate))...)
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        let path = (workdir as NSString).appendingPathComponent("speech_\(voiceSeconds)s.f32.wav")
        try AudioFile.writeWAV(audio, to: path, format: .f32)
        return path
    }
}
