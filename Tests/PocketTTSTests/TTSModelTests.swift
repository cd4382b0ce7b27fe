import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// The whole model against pocket-tts 1.1.1 on the tiny fixture model, end to end at
/// temperature 0 (Fixtures/reference/MANIFEST.md, "End to end"), plus voices and loading.
@Suite struct TTSModelTests {
    let model: TTSModel
    let e2e: SafetensorsFile
    let manifest: [String: Any]

    static func url(_ name: String, _ ext: String, _ dir: String = "Fixtures/reference") throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: dir))
    }

    /// The 1.1.1 tiny model's config, with 1.1.1's exact-erf GELU, Mimi attention ring and
    /// untrimmed voice prompts.
    static func tinyConfig() throws -> PocketTTSConfig {
        var config = try PocketTTSConfig(contentsOf: try url("tiny", "yaml"))
        config = config.asPocketTTS111()
        return config
    }
    static func tokenizerPath() throws -> String { try url("test_tokenizer", "model", "Fixtures/tokenizer").path }

    init() throws {
        model = try TTSModel.load(
            config: try Self.tinyConfig(), weightsPath: try Self.url("tiny_weights", "safetensors").path,
            tokenizerPath: try Self.tokenizerPath(), precision: .exact)  // parity: the exact path
        e2e = try SafetensorsFile(contentsOf: try Self.url("e2e", "safetensors"))
        let data = try Data(contentsOf: try Self.url("manifest", "json"))
        manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func referenceVoice() throws -> FlowLM.State {
        try model.voiceState(stateFile: try Self.url("voice_state", "safetensors").path)
    }

    /// max |got − want| ≤ tolerance · max(1, max |want|).
    func expectClose(_ got: [Float], _ want: [Float], _ tolerance: Float = 1e-4, _ what: String) {
        #expect(got.count == want.count, "\(what): \(got.count) values, expected \(want.count)")
        guard got.count == want.count else { return }
        let scale = max(1, want.reduce(0) { max($0, abs($1)) })
        let err = Tensor.maxAbsDifference(got, want)
        #expect(err <= tolerance * scale, "\(what): max error \(err) (scale \(scale))")
    }

    @Test(arguments: ["budget", "eos"], ["short", "long"])
    func endToEndAtTemperatureZero(scenario: String, text: String) throws {
        let info = try #require((manifest["e2e"] as? [String: Any])?[scenario] as? [String: Any])
        let threshold = Float(try #require(info["eos_threshold"] as? Double))
        let record = try #require((info["texts"] as? [String: Any])?[text] as? [String: Any])
        let input = try #require(record["input"] as? String)
        let chunks = try #require(record["chunks"] as? [[String: Any]])
        // A 1.1.1 fixture: EOS counts from the first frame (4.0.1 ignores it on the first 6).
        var options = GenerationOptions(sampling: FlowLMSampling(temperature: 0, eosThreshold: threshold), minFramesBeforeEOS: 0)
        options.maxFrames = info["forced_max_gen_len"] as? Int

        // Chunk texts and tokens as the reference prompted them.
        let ours = try model.chunks(for: input)
        #expect(ours.map(\.text) == chunks.map { $0["text"] as? String })
        #expect(ours.map(\.tokens) == chunks.map { $0["tokens"] as? [Int] ?? [] })

        var frames: [GeneratedFrame] = []
        try model.generate(text: input, voice: try referenceVoice(), options: options) { frames.append($0) }
        for (k, chunk) in chunks.enumerated() {
            let emitted = try #require(chunk["frames_emitted"] as? Int)
            let mine = frames.filter { $0.chunk == k }
            #expect(mine.count == emitted, "chunk \(k): \(mine.count) frames, expected \(emitted)")
            let latents = try e2e.tensor(named: "e2e/\(scenario)/\(text)/chunk\(k)/latents")
            let logits = try e2e.tensor(named: "e2e/\(scenario)/\(text)/chunk\(k)/eos_logits")
            let n = min(mine.count, emitted)
            expectClose(mine.prefix(n).flatMap(\.latent), Array(latents.data.prefix(n * 32)), 1e-4, "chunk \(k) latents")
            expectClose(mine.prefix(n).map(\.eosLogit), Array(logits.data.prefix(n)), 1e-4, "chunk \(k) EOS logits")
        }
        // 1.1.1's audio with 4.0.1's 5 ms fade-in on each chunk's first samples (a fresh Mimi
        // decoder state per chunk), the one place where 4.0.1 deliberately differs.
        var audio = try e2e.tensor(named: "e2e/\(scenario)/\(text)/audio").data
        let ramp = AudioFades.linspace(0, 1, count: AudioFades.fadeInLength(sampleRate: model.sampleRate))
        var chunkStart = 0
        for chunk in chunks {
            for (i, g) in ramp.enumerated() where chunkStart + i < audio.count { audio[chunkStart + i] *= g }
            chunkStart += (chunk["frames_emitted"] as? Int ?? 0) * model.frameLength
        }
        expectClose(frames.flatMap(\.audio), audio, 1e-4, "audio")
    }

    /// The samples of `voice.wav` as the reference reads them (PCM16 mono 24 kHz, int16 / 32768;
    /// MANIFEST.md), taken from its `data` chunk: the model itself reads no audio files.
    static func voiceSamples() throws -> [Float] {
        let bytes = [UInt8](try Data(contentsOf: try url("voice", "wav")))
        func u32(_ i: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[i + $1]) << (8 * $1) } }
        var offset = 12  // after "RIFF", size, "WAVE": chunks of id, size (little-endian), body
        while offset + 8 <= bytes.count {
            let size = u32(offset + 4)
            if bytes[offset..<(offset + 4)].elementsEqual("data".utf8) {
                return stride(from: offset + 8, to: offset + 8 + size, by: 2).map {
                    Float(Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)) / 32768
                }
            }
            offset += 8 + size + size % 2
        }
        throw TTSModelError.invalidVoice(path: "voice.wav", reason: "no data chunk")
    }

    @Test func voiceFromAudioMatchesTheReferenceVoiceState() throws {
        let samples = try Self.voiceSamples()
        #expect(samples.count == 36000)
        let fromAudio = try model.voiceState(samples24k: samples)
        let reference = try referenceVoice()
        #expect(fromAudio.length == reference.length)
        let ours = model.flowLM.voiceTensors(of: fromAudio)
        for (name, want) in model.flowLM.voiceTensors(of: reference) {
            let got = try #require(ours[name])
            #expect(got.shape == want.shape)
            expectClose(got.data, want.data, 1e-4, name)
        }
    }

    /// With 4.0.1's `endsVoicePromptOnPause` the prompt is `end_on_pause(samples)` encoded as is.
    @Test func voicePromptEndsOnPauseWhenTheConfigSaysSo() throws {
        var config = try Self.tinyConfig()
        config.endsVoicePromptOnPause = true
        let trimming = try TTSModel.load(
            config: config, weightsPath: try Self.url("tiny_weights", "safetensors").path,
            tokenizerPath: try Self.tokenizerPath(), precision: .exact)
        let samples = try Self.voiceSamples()
        let trimmed = AudioFades.endOnPause(samples, sampleRate: 24000)
        let got = try trimming.voiceState(samples24k: samples)
        let want = try model.voiceState(samples24k: trimmed)
        #expect(got.length == want.length)
        #expect(trimming.flowLM.voiceTensors(of: got) == model.flowLM.voiceTensors(of: want))
    }

    @Test func exportedVoiceLoadsBackIdentically() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("voice-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let voice = try referenceVoice()
        try model.exportVoice(voice, to: path)
        let back = try model.voiceState(stateFile: path)
        #expect(model.flowLM.voiceTensors(of: back) == model.flowLM.voiceTensors(of: voice))
    }

    @Test func sameSeedSameAudioAtTemperature() throws {
        let options = GenerationOptions(sampling: FlowLMSampling(temperature: 0.7, eosThreshold: 1e9), maxFrames: 3, seed: 7)
        let voice = try referenceVoice()
        let a = try model.generateAudio(text: "Hello world.", voice: voice, options: options)
        let b = try model.generateAudio(text: "Hello world.", voice: voice, options: options)
        var other = options
        other.seed = 8
        let c = try model.generateAudio(text: "Hello world.", voice: voice, options: other)
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 3 * model.frameLength)
    }

    @Test func invalidOptionsAreRejected() throws {
        let voice = try referenceVoice()
        #expect(throws: TTSModelError.self) {
            try model.generateAudio(text: "Hi.", voice: voice, options: GenerationOptions(maxTokens: 0))
        }
        #expect(throws: TextError.empty) { try model.generateAudio(text: "   ", voice: voice) }
    }

    @Test func strictLoadingNamesTheTensor() throws {
        let weights = try SafetensorsFile(contentsOf: try Self.url("tiny_weights", "safetensors"))
        var tensors: [String: Tensor] = [:]
        for name in weights.names { tensors[name] = try weights.tensor(named: name) }
        let tokenizer = try Tokenizer(modelPath: try Self.tokenizerPath())
        let config = try Self.tinyConfig()

        var extra = tensors
        extra["mimi.unexpected.weight"] = Tensor.zeros([1])
        #expect(throws: WeightError.unusedTensors(["mimi.unexpected.weight"])) {
            try TTSModel(config: config, tensors: extra, tokenizer: tokenizer)
        }
        var missing = tensors
        missing["flow_lm.out_eos.bias"] = nil
        #expect(throws: WeightError.missingTensor("flow_lm.out_eos.bias")) {
            try TTSModel(config: config, tensors: missing, tokenizer: tokenizer)
        }
        var misshaped = tensors
        misshaped["mimi.quantizer.output_proj.weight"] = Tensor.zeros([32, 32])
        #expect(throws: WeightError.shape(name: "mimi.quantizer.output_proj.weight", expected: [32, 32, 1], got: [32, 32])) {
            try TTSModel(config: config, tensors: misshaped, tokenizer: tokenizer)
        }
    }

    @Test func bf16WeightsLoadAndStayClose() throws {
        let bf16 = try TTSModel.load(
            config: try Self.tinyConfig(), weightsPath: try Self.url("tiny_weights_bf16", "safetensors").path,
            tokenizerPath: try Self.tokenizerPath())
        let options = GenerationOptions(sampling: FlowLMSampling(temperature: 0, eosThreshold: 1e9), maxFrames: 2)
        let voice = try referenceVoice()
        let a = try model.generateAudio(text: "Hello world.", voice: voice, options: options)
        let b = try bf16.generateAudio(text: "Hello world.", voice: voice, options: options)
        #expect(a.count == b.count)
        #expect(a.allSatisfy(\.isFinite) && b.allSatisfy(\.isFinite))
        #expect(a != b)  // really the rounded weights
    }

    @Test func tokenizerMustMatchTheTable() throws {
        var config = try Self.tinyConfig()
        config.flowLM.lookupTable.binCount = 600
        #expect(throws: TTSModelError.tokenizerMismatch(vocabularySize: 512, binCount: 600)) {
            try TTSModel.load(config: config, weightsPath: try Self.url("tiny_weights", "safetensors").path,
                              tokenizerPath: try Self.tokenizerPath())
        }
    }
}
