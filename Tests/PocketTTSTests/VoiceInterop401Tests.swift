import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// Voice-state files exchanged with pocket-tts 4.0.1 for the `bos_before_voice` models
/// (Fixtures/voice_interop401, made by Scripts/reference/make_voice_interop_401.py): the FlowLM of
/// `english_2m_2026-10` / `english_7m_2026-10` at full size (make_fixtures_401's values) with the
/// `english_2m_2026-10` fixture codec, whose encoder differs from its decoder. 4.0.1 cloned
/// `reference/voice.wav` (`get_state_for_audio_prompt`) and exported the state (`export_model_state`).
/// - 4.0.1 → here: the file loads, its caches equal our own cloning of the same audio (Mimi's
///   encoder, `end_on_pause`, `speaker_proj_weight`, `bos_before_voice`), and generation from it
///   equals 4.0.1's latents at temperature 0.
/// - here → 4.0.1: our export has the names, dtypes, shapes and values of 4.0.1's. That 4.0.1
///   loads it to the same caches is checked by hand (the script's `--check`, README): with
///   POCKET_TTS_VOICE_EXPORT_DIR set, the files are also written there.
@Suite struct VoiceInterop401Tests {
    typealias R = Reference401

    static let names = ["english_2m_2026-10", "english_7m_2026-10"]
    static let directory = R.directory.deletingLastPathComponent().appendingPathComponent("voice_interop401")
    static let cacheTolerance: Float = 1e-5
    static let latentTolerance: Float = 1e-4

    /// The model 4.0.1 ran: the config with the fixture codec (`mimi_configs.json`).
    static func model(_ name: String) throws -> TTSModel {
        var config = try R.config(name)
        config.mimi = try MimiReference401Tests.config("english_2m_2026-10")
        let mimi = try MimiReference401Tests.mimi("english_2m_2026-10")
        return TTSModel(config: config, flowLM: try R.flowLM(name), mimi: mimi,
                        tokenizer: try Tokenizer(modelPath: try TTSModelTests.tokenizerPath()))
    }

    static func referenceFile(_ name: String) -> String { directory.appendingPathComponent("\(name)_voice.safetensors").path }

    static func golden(_ tensor: String) throws -> Tensor {
        try SafetensorsFile(contentsOf: directory.appendingPathComponent("golden.safetensors")).tensor(named: tensor)
    }

    /// max |ours − theirs| over the caches; names, shapes and the other tensors must be equal.
    static func cacheDifference(_ ours: [String: Tensor], _ theirs: [String: Tensor], _ what: String) -> Float {
        #expect(Set(ours.keys) == Set(theirs.keys), "\(what): names")
        var worst: Float = 0
        for (key, want) in theirs {
            guard let got = ours[key] else { continue }
            #expect(got.shape == want.shape, "\(what) \(key): shape \(got.shape), expected \(want.shape)")
            guard got.shape == want.shape else { return .infinity }
            if key.hasSuffix("/cache") {
                worst = max(worst, Tensor.maxAbsDifference(got, want))
            } else {
                #expect(got == want, "\(what) \(key)")
            }
        }
        return worst
    }

    /// The text prompt and FRAMES steps from `voice`, as the script generated from 4.0.1's file.
    static func latents(_ model: TTSModel, _ name: String, voice: FlowLM.State) throws -> [Float] {
        let tokens = try golden("\(name)/text_tokens").data.map { Int($0) }
        let frames = try golden("\(name)/latents").shape[0]
        var state = voice
        state.reserveCapacity(voice.length + tokens.count + frames)
        try model.flowLM.prompt(textTokens: tokens, state: &state)
        return R.generate(model.flowLM, state: &state, frames: frames, steps: 1).0
    }

    @Test(arguments: names)
    func referenceExportLoadsAsOurOwnCloning(name: String) throws {
        let model = try Self.model(name)
        #expect(model.config.flowLM.insertBOSBeforeVoice && model.flowLM.bosBeforeVoice != nil)
        let mimi = model.config.mimi  // an encoder (SEANet 48, kernel 7) apart from the decoder (128, kernel 3)
        #expect(mimi.effectiveDecoderSEANet.dimension != mimi.seanet.dimension
            && mimi.effectiveDecoderSEANet.kernelSize != mimi.seanet.kernelSize && mimi.decoderTransformer != nil)

        let samples = try TTSModelTests.voiceSamples()
        let cloned = try model.voiceState(samples24k: samples)
        let loaded = try model.voiceState(stateFile: Self.referenceFile(name))
        #expect(loaded.length == cloned.length)
        let reference = try R.voiceTensorsFile(Self.referenceFile(name))
        let cacheError = Self.cacheDifference(model.flowLM.voiceTensors(of: cloned), reference, name)
        #expect(cacheError <= Self.cacheTolerance)

        let want = try Self.golden("\(name)/latents").data
        let fromFile = try Self.latents(model, name, voice: loaded)
        let fromClone = try Self.latents(model, name, voice: cloned)
        let fileError = FlowLMTestSupport.relativeError(fromFile, want)
        let cloneError = FlowLMTestSupport.relativeError(fromClone, want)
        #expect(fromFile.count == want.count && fileError <= Self.latentTolerance)
        #expect(fromClone.count == want.count && cloneError <= Self.latentTolerance)
        print("VoiceInterop401 \(name): 4.0.1 → Swift: \(loaded.length) positions, caches max abs diff \(cacheError); "
              + "latents (\(want.count / model.flowLM.dimensions.latentDim) frames) from its file \(fileError), "
              + "from our cloning \(cloneError) (the two \(Tensor.maxAbsDifference(fromFile, fromClone)) apart)")
    }

    @Test(arguments: names)
    func ourExportHasTheReferenceForm(name: String) throws {
        let model = try Self.model(name)
        let cloned = try model.voiceState(samples24k: try TTSModelTests.voiceSamples())
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("interop401-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.exportVoice(cloned, to: url.path)
        if let out = ProcessInfo.processInfo.environment["POCKET_TTS_VOICE_EXPORT_DIR"] {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try model.exportVoice(cloned, to: URL(fileURLWithPath: out).appendingPathComponent("\(name)_swift_voice.safetensors").path)
        }
        let ours = try SafetensorsFile(contentsOf: url)
        let theirs = try SafetensorsFile(contentsOf: URL(fileURLWithPath: Self.referenceFile(name)))
        #expect(ours.names.sorted() == theirs.names.sorted())
        for key in theirs.names {
            #expect(try ours.dtype(of: key) == theirs.dtype(of: key), "\(key)")
            #expect(try ours.shape(of: key) == theirs.shape(of: key), "\(key)")
        }
        let error = Self.cacheDifference(try R.voiceTensorsFile(url.path), try R.voiceTensorsFile(Self.referenceFile(name)), name)
        #expect(error <= Self.cacheTolerance)
        // And it reads back here to the state it was written from.
        let back = try model.voiceState(stateFile: url.path)
        #expect(model.flowLM.voiceTensors(of: back) == model.flowLM.voiceTensors(of: cloned))
        print("VoiceInterop401 \(name): Swift → 4.0.1 form: caches max abs diff \(error)")
    }
}

extension Reference401 {
    /// Every tensor of a voice-state file.
    static func voiceTensorsFile(_ path: String) throws -> [String: Tensor] {
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
        return try Dictionary(uniqueKeysWithValues: file.names.map { ($0, try file.tensor(named: $0)) })
    }
}
